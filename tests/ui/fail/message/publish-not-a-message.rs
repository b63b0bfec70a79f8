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

async fn send(runtime: &Runtime) {
    runtime.publish(5u32).await;
}

fn main() {}
