use hooks_runtime::prelude::*;

pub struct NotAStage;

#[derive(Hooks, Default)]
#[provides_hooks(NotAStage)]
struct Agent {
    attached: AttachedHooks,
}

fn main() {}
