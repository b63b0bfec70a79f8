use hooks_runtime::prelude::*;

#[derive(Hooks)]
#[provides_hooks(OnStop)]
struct Worker;

#[hooks]
impl Worker {
    #[on_stop]
    fn stop(&mut self, reason: &String) {
        let _ = reason;
    }
}

fn main() {}
