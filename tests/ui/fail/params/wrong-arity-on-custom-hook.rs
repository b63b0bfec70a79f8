use hooks_runtime::prelude::*;

hook_type!(OnProgress(u32));

#[derive(Hooks)]
#[provides_hooks(OnProgress)]
struct Worker;

#[hooks]
impl Worker {
    #[hook(OnProgress)]
    fn progress(&mut self, percent: &u32, total: &u32) {
        let _ = (percent, total);
    }
}

fn main() {}
