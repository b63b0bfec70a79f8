// `crate = ".."` on the derive and on `#[hooks]`: the generated code starts from that path.
use facade::prelude::*;

mod facade {
    pub use hooks_runtime::*;
}

#[derive(Hooks, Default)]
#[hooks(crate = "crate::facade")]
#[provides_hooks(OnInit)]
struct Worker {
    attached: AttachedHooks,
    ready: bool,
}

#[hooks(crate = "crate::facade")]
impl Worker {
    #[on_init]
    fn init(&mut self) {
        self.ready = true;
    }
}

fn main() {
    assert_eq!(Worker::default().hooks::<OnInit>().len(), 1);
}
