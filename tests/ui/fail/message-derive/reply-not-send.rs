use hooks_runtime::prelude::*;

#[derive(Message)]
#[message(reply = std::rc::Rc<u32>)]
struct Count;

fn main() {}
