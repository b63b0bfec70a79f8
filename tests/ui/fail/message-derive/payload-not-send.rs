use hooks_runtime::prelude::*;

#[derive(Message)]
struct Status {
    shared: std::rc::Rc<u32>,
}

fn main() {}
