use hooks_runtime::prelude::*;

#[derive(Clone, Copy, PartialEq)]
enum Kind {
    A,
}

#[derive(Hooks)]
#[provides_hooks(OnMessage)]
struct Worker;

#[hooks]
impl Worker {
    #[on_message(Kind::A)]
    fn message(&mut self, _msg: &Message) {}
}

fn main() {}
