// A mistake in `#[derive(Hooks)]` is one error: the type still implements `Hooks` (with no hooks),
// so the code that uses it as a component adds no second wave.
use hooks_runtime::prelude::*;

#[derive(Hooks, Default)]
struct Worker {
    #[hooks(bse)]
    service: Service,
}

fn main() {
    let worker = Worker::default();
    let _ = worker.hooks::<OnInit>();
    let _ = Worker::provides::<OnInit>();
}
