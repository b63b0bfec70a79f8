use hooks_runtime::prelude::*;

#[hooks]
struct Worker {
    ready: bool,
}

fn main() {}
