use hooks_runtime::prelude::*;

#[derive(Hooks)]
#[provides_hooks(OnStart)]
struct Worker;

#[hooks]
impl Worker {
    #[on_start(timeout = "2")]
    async fn start(&mut self) {}
}

fn main() {}
