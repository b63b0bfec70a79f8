use hooks_runtime::prelude::*;

#[derive(Message)]
#[message(reply = u32)]
struct Count;

#[derive(Hooks, Default)]
struct Worker {
    #[hooks(base)]
    service: Service,
    #[hooks(base)]
    bus: MessageBusClient,
    #[hooks(base)]
    commands: CommandHandler,
}

async fn call(worker: &Handle<Worker>) -> Result<(), Box<dyn std::error::Error>> {
    let count: String = worker.command(Count).await?;
    drop(count);
    Ok(())
}

fn main() {}
