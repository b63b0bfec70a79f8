use hooks_runtime::prelude::*;

#[derive(Hooks)]
#[provides_hooks(OnInit)]
struct Worker;

#[hooks]
impl Worker {
    #[on_init]
    const READY: bool = true;
}

fn main() {}
