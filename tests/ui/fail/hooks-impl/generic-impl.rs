use hooks_runtime::prelude::*;

struct Wrapper<T>(T);

#[hooks]
impl<T> Wrapper<T> {
    #[on_init]
    fn init(&mut self) {}
}

fn main() {}
