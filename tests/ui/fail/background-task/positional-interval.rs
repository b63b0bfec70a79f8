use hooks_runtime::prelude::*;

#[derive(Hooks)]
#[provides_hooks(BackgroundTask)]
struct Worker;

#[hooks]
impl Worker {
    #[background_task("5s")]
    async fn tick(&mut self) {}
}

fn main() {}
