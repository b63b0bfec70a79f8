use hooks_runtime::prelude::*;

#[derive(Hooks)]
#[provides_hooks(OnInit)]
struct Worker;

#[hooks]
impl Worker {
    #[on_init(prio = 1)]
    fn init(&mut self) {}
}

fn main() {}
