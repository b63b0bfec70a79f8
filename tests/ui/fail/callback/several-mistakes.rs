// An unknown argument, a missing name, an inherent impl and a generic impl: all reported at once.
use hooks_runtime::prelude::*;

#[derive(serde::Deserialize)]
struct Progress<T> {
    value: T,
}

#[callback(every = 2)]
impl<T> Progress<T> {
    fn on_epoch_end(&mut self, _epoch: &u32) {}
}

fn main() {}
