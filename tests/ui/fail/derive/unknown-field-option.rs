use hooks_runtime::prelude::*;

#[derive(Hooks)]
struct Worker {
    #[hooks(bse)]
    service: Service,
}

fn main() {}
