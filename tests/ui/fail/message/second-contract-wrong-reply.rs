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

#[derive(Message)]
#[message(reply = String)]
struct Name;

#[hooks]
impl Worker {
    #[on_command(Count, Name)]
    fn either(&mut self, _msg: &Message) -> u32 {
        0
    }
}

fn main() {}
