use hooks_runtime::prelude::*;

#[derive(Hooks)]
#[provides_hooks(BackgroundTask)]
struct Worker {
    seconds: u64,
}

#[hooks]
impl Worker {
    #[background_task(interval = |this: &Self| this.seconds)]
    async fn tick(&mut self) {}
}

fn main() {}
