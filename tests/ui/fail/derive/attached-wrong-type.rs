use hooks_runtime::prelude::*;

#[derive(Hooks)]
struct Worker {
    #[hooks(attached)]
    hooks: Vec<u32>,
}

fn main() {}
