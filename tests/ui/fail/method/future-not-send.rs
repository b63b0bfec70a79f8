use std::rc::Rc;

use hooks_runtime::prelude::*;

#[derive(Hooks)]
#[provides_hooks(OnStart)]
struct Worker;

async fn connect() {}

#[hooks]
impl Worker {
    #[on_start]
    async fn start(&mut self) {
        let shared = Rc::new(1);
        connect().await;
        let _ = shared;
    }
}

fn main() {}
