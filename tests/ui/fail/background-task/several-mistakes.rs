// Every mistake of a `#[background_task(..)]` is reported at once.
use hooks_runtime::prelude::*;

#[derive(Hooks)]
#[provides_hooks(BackgroundTask)]
struct Worker;

#[hooks]
impl Worker {
    #[background_task(interval = "5", immediate = 1, stop_on_error = "no", every = "1s")]
    async fn tick(&mut self) {}
}

fn main() {}
