use hooks_runtime::prelude::*;

#[derive(Hooks)]
#[provides_hooks(OnCommand)]
struct Worker;

#[hooks]
impl Worker {
    #[on_command(priority = 1)]
    fn command(&mut self, _msg: &Message) {}
}

fn main() {}
