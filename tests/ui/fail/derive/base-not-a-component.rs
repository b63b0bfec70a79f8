use hooks_runtime::prelude::*;

struct Config;

#[derive(Hooks)]
struct Worker {
    #[hooks(base)]
    config: Config,
}

fn main() {}
