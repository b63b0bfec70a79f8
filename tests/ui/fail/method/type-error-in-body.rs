use hooks_runtime::prelude::*;

#[derive(Hooks)]
#[provides_hooks(OnStart)]
struct Worker {
    count: u32,
}

#[hooks]
impl Worker {
    #[on_start]
    async fn start(&mut self) {
        self.count = "one";
    }
}

fn main() {}
