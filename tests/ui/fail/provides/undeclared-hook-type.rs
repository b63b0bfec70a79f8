use hooks_runtime::prelude::*;

#[derive(Hooks)]
struct Worker {
    #[hooks(base)]
    service: Service,
}

#[hooks]
impl Worker {
    #[on_message(Kind::A)]
    fn message(&mut self, _msg: &Message) {}
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Kind {
    A,
}

fn main() {}
