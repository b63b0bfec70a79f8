use hooks_runtime::prelude::*;

#[derive(Hooks)]
#[provides_hooks("OnInit")]
struct Worker;

fn main() {}
