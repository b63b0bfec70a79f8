use hooks_runtime::prelude::*;

#[derive(Hooks)]
#[provides_hooks(OnInit)]
struct Worker;

#[hooks]
impl Default for Worker {
    fn default() -> Self {
        Worker
    }
}

fn main() {}
