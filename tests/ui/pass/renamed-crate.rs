// `crate = ".."` on the derives and on `#[hooks]`: the generated code starts from that path.
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

#[derive(Message)]
#[message(crate = "crate::facade", reply = u32)]
struct Count;

#[derive(Hooks, Default)]
#[hooks(crate = "crate::facade")]
struct Counter {
    #[hooks(base)]
    service: Service,
    #[hooks(base)]
    commands: CommandHandler,
}

#[hooks(crate = "crate::facade")]
impl Counter {
    #[on_command]
    fn count(&mut self, _count: &Count) -> u32 {
        1
    }
}

fn main() {
    assert_eq!(Worker::default().hooks::<OnInit>().len(), 1);
    assert_eq!(Counter::default().hooks::<OnCommand>().len(), 1);
}
