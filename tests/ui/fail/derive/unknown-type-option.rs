use hooks_runtime::prelude::*;

#[derive(Hooks)]
#[hooks(base)]
struct Worker {
    service: Service,
}

fn main() {}
