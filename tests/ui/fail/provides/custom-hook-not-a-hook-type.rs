use hooks_runtime::prelude::*;

#[derive(Hooks)]
#[provides_hooks(OnInit)]
struct Worker;

#[hooks]
impl Worker {
    #[hook(String)]
    fn custom(&mut self) {}
}

fn main() {}
