use hooks_runtime::prelude::*;

#[derive(Hooks)]
#[provides_hooks(OnInit)]
struct Worker;

#[hooks]
impl Worker {
    #[on_init]
    fn init(&mut self, verbose: bool) {
        let _ = verbose;
    }
}

fn main() {}
