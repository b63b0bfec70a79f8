use hooks_runtime::prelude::*;

#[derive(Message)]
#[message(reply = u32, name = "")]
struct Count;

#[derive(Hooks, Default)]
struct Worker {
    #[hooks(base)]
    service: Service,
    #[hooks(base)]
    commands: CommandHandler,
}

#[hooks]
impl Worker {
    #[on_command]
    fn count(&mut self, _count: &Count) -> u32 {
        0
    }
}

async fn call(worker: &Handle<Worker>) -> Result<u32, hooks_runtime::CallError> {
    worker.command(Count).await
}

fn main() {}
