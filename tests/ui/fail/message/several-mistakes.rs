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
struct Status {
    busy: bool,
}

#[hooks]
impl Worker {
    #[on_message(Status)]
    fn status(&mut self, _busy: &bool) {}

    #[on_command]
    fn count(&mut self, _count: &Count) -> Result<i64, String> {
        Ok(0)
    }

    #[on_command]
    fn total(&mut self, _total: &u64) -> u64 {
        0
    }
}

fn main() {}
