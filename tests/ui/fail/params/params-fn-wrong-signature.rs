use hooks_runtime::prelude::*;

#[derive(Debug, Clone, Copy, PartialEq)]
enum Kind {
    A,
}

#[derive(Hooks)]
#[provides_hooks(OnMessage)]
struct Worker;

#[hooks]
impl Worker {
    #[on_message(params = Self::kinds)]
    fn message(&mut self, _msg: &Message) {}

    fn kinds(&mut self) -> Vec<Kind> {
        vec![Kind::A]
    }
}

fn main() {}
