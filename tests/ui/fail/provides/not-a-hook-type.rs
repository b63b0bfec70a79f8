use hooks_runtime::prelude::*;

#[derive(Hooks)]
#[provides_hooks(String)]
struct Worker;

fn main() {}
