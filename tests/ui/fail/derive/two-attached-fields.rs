use hooks_runtime::prelude::*;

#[derive(Hooks)]
struct Worker {
    #[hooks(attached)]
    first: AttachedHooks,
    #[hooks(attached)]
    second: AttachedHooks,
}

fn main() {}
