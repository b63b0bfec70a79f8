use hooks_runtime::prelude::*;

#[derive(serde::Deserialize)]
struct Progress {}

#[callback(name = "progress")]
impl Progress {
    fn on_epoch_end(&mut self, _epoch: &u32) {}
}

fn main() {}
