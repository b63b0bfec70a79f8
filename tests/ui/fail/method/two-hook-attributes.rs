use hooks_runtime::prelude::*;

#[derive(Hooks)]
#[provides_hooks(OnInit, OnStart)]
struct Worker;

#[hooks]
impl Worker {
    #[on_init]
    #[on_start]
    fn init(&mut self) {}
}

fn main() {}
