use hooks_runtime::prelude::*;

#[derive(Hooks)]
union Worker {
    count: u32,
}

fn main() {}
