use hooks_runtime::prelude::*;

#[derive(Hooks)]
struct Worker<T> {
    value: T,
}

fn main() {}
