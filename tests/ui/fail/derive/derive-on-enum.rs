use hooks_runtime::prelude::*;

#[derive(Hooks)]
enum Worker {
    Idle,
}

fn main() {}
