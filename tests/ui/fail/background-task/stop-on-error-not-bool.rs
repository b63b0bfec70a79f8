use hooks_runtime::prelude::*;

#[derive(Hooks)]
#[provides_hooks(BackgroundTask)]
struct Worker;

#[hooks]
impl Worker {
    #[background_task(interval = "5s", stop_on_error = 1)]
    async fn tick(&mut self) {}
}

fn main() {}
