// One mistake in a `#[hooks]` impl is one error: the impl is still emitted (without its hook
// attributes), so calling its methods and using the type as a component add no second wave.
use hooks_runtime::prelude::*;

#[derive(Hooks, Default)]
struct Worker {
    #[hooks(base)]
    service: Service,
    ready: bool,
}

#[hooks]
impl Worker {
    #[on_init(prio = 1)]
    fn init(&mut self) {
        self.ready = true;
    }

    fn is_ready(&self) -> bool {
        self.ready
    }
}

fn main() {
    let mut worker = Worker::default();
    worker.init();
    assert!(worker.is_ready());
    let _ = worker.hooks::<OnInit>();
}
