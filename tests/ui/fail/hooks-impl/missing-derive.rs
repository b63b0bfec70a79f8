use hooks_runtime::prelude::*;

struct Worker;

#[hooks]
impl Worker {
    #[on_init]
    fn init(&mut self) {}

    #[on_start]
    fn start(&mut self) {}
}

fn main() {}
