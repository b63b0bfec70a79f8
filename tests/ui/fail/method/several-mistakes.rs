// Every mistake of an impl is reported at once, one error per mistake.
use hooks_runtime::prelude::*;

#[derive(Hooks)]
#[provides_hooks(OnInit, OnStart, OnStop, OnMessage)]
struct Worker;

#[hooks]
impl Worker {
    #[on_init]
    fn init(self) {}

    #[on_start(prio = 1)]
    fn start(&mut self) {}

    #[on_stop]
    fn stop<T>(&mut self) {}

    #[on_message]
    fn message(&mut self, _msg: &Message) {}

    #[on_init(timeout = "1s")]
    fn plain(&mut self) {}

    fn helper(&self) {}
}

fn main() {}
