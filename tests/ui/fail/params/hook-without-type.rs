use hooks_runtime::prelude::*;

#[derive(Hooks)]
struct Worker;

#[hooks]
impl Worker {
    #[hook]
    fn custom(&mut self) {}
}

fn main() {}
