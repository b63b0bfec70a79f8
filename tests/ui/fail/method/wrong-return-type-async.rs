use hooks_runtime::prelude::*;

#[derive(Hooks)]
#[provides_hooks(OnStart)]
struct Worker;

#[hooks]
impl Worker {
    #[on_start]
    async fn start(&mut self) -> Option<()> {
        None
    }
}

fn main() {}
