// Each hook type the component does not provide is its own error, on its own attribute.
use hooks_runtime::prelude::*;

hook_type!(OnProgress(u32));

#[derive(Debug, Clone, Copy, PartialEq)]
enum Kind {
    A,
}

#[derive(Hooks)]
struct Worker {
    #[hooks(base)]
    service: Service,
}

#[hooks]
impl Worker {
    #[on_init]
    fn init(&mut self) {}

    #[on_message(Kind::A)]
    fn message(&mut self, _msg: &Message) {}

    #[on_command(Kind::A)]
    fn command(&mut self, _msg: &Message) {}

    #[hook(OnProgress)]
    fn progress(&mut self, _percent: &u32) {}
}

fn main() {}
