use hooks_runtime::prelude::*;

#[derive(Hooks)]
#[provides_hooks(OnInit)]
struct Worker;

#[hooks]
impl Worker {
    #[on_init(priority = 1, priority = 2)]
    fn init(&mut self) {}
}

fn main() {}
