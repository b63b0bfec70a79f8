use hooks_runtime::prelude::*;

pub trait TrainerCallback: Send {
    fn on_epoch_end(&mut self, _epoch: &u32) {}
}

#[derive(serde::Deserialize)]
struct Progress {}

#[callback(name = " ")]
impl TrainerCallback for Progress {}

fn main() {}
