use hooks_runtime::prelude::*;

#[derive(Hooks)]
#[provides_hooks(OnInit)]
struct Worker;

impl Worker {
    #[on_init]
    fn init(&mut self) {}
}

fn main() {}
