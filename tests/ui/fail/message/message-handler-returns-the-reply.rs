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

#[hooks]
impl Worker {
    #[on_message]
    fn count(&mut self, _count: &Count) -> u32 {
        0
    }
}

fn main() {}
