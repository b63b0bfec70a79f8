use hooks_runtime::prelude::*;

hook_type!(OnReady);

#[derive(Hooks)]
#[provides_hooks(OnReady)]
struct Worker;

#[hooks]
impl Worker {
    #[hook(priority = 1, OnReady)]
    fn ready(&mut self) {}
}

fn main() {}
