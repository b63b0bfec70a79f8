use hooks_runtime::prelude::*;

#[derive(Hooks)]
#[provides_hooks(OnInit)]
struct Worker;

#[hooks]
impl Worker {
    #[hook(OnProgress)]
    fn progress(&mut self) {}
}

fn main() {}
