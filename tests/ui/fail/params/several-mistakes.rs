// Every argument mistake of an impl is reported at once, one error per mistake.
use hooks_runtime::prelude::*;

#[derive(Debug, Clone, Copy, PartialEq)]
enum Kind {
    A,
}

#[derive(Hooks)]
#[provides_hooks(OnInit, OnStart, OnStop, OnMessage, OnCommand)]
struct Worker;

#[hooks]
impl Worker {
    #[on_init(priority = 1, priority = 2)]
    fn init(&mut self) {}

    #[on_start(5)]
    fn start(&mut self) {}

    #[on_stop(timeout = "2")]
    async fn stop(&mut self) {}

    #[on_message(Kind::A, interval = "1s")]
    fn message(&mut self) {}

    #[on_command]
    fn command(&mut self, _msg: &Message) {}
}

fn main() {}
