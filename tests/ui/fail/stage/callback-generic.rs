use hooks_runtime::prelude::*;

pub trait TrainerCallback: Send {
    fn on_epoch_end(&mut self, _epoch: &u32) {}
}

#[derive(serde::Deserialize)]
struct Progress<T> {
    value: T,
}

#[callback(name = "progress")]
impl<T: Send> TrainerCallback for Progress<T> {}

fn main() {}
