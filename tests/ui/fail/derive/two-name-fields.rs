use hooks_runtime::prelude::*;

#[derive(Hooks, Default)]
struct Agent {
    #[hooks(name)]
    name: String,
    #[hooks(name)]
    alias: String,
}

fn main() {}
