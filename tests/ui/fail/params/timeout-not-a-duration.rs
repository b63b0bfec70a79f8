use hooks_runtime::prelude::*;

#[derive(Hooks)]
#[provides_hooks(OnStart)]
struct Worker;

const TWO_SECONDS: u64 = 2;

#[hooks]
impl Worker {
    #[on_start(timeout = TWO_SECONDS)]
    async fn start(&mut self) {}
}

fn main() {}
