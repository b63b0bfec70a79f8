// Every mistake of a `#[derive(Hooks)]` is reported at once.
use hooks_runtime::prelude::*;

#[derive(Hooks)]
#[hooks(krate = "hooks_runtime")]
struct Worker {
    #[hooks(bse)]
    service: Service,
    #[hooks(attached)]
    first: AttachedHooks,
    #[hooks(attached)]
    second: AttachedHooks,
}

fn main() {}
