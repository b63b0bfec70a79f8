use hooks_runtime::prelude::*;

#[derive(Hooks)]
#[provides_hooks(OnMessage)]
struct Worker;

#[hooks]
impl Worker {
    #[on_message]
    fn message(&mut self, _msg: &Message) {}
}

fn main() {}
