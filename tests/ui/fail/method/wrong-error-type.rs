use hooks_runtime::prelude::*;

#[derive(Hooks)]
#[provides_hooks(OnStart)]
struct Worker;

struct NotAnError;

#[hooks]
impl Worker {
    #[on_start]
    async fn start(&mut self) -> Result<(), NotAnError> {
        Ok(())
    }
}

fn main() {}
