use hooks_runtime::prelude::*;

#[derive(Hooks)]
#[provides_hooks(OnInit)]
struct Worker;

#[hooks]
impl Worker {
    #[on_init]
    unsafe fn init(&mut self) {}
}

fn main() {}
