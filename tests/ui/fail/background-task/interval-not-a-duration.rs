use hooks_runtime::prelude::*;

#[derive(Hooks)]
#[provides_hooks(BackgroundTask)]
struct Worker;

#[hooks]
impl Worker {
    #[background_task(interval = true)]
    async fn tick(&mut self) {}
}

fn main() {}
