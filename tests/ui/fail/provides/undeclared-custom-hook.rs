use hooks_runtime::prelude::*;

hook_type!(OnProgress(u32));

#[derive(Hooks)]
struct Worker {
    #[hooks(base)]
    service: Service,
}

#[hooks]
impl Worker {
    #[hook(OnProgress)]
    fn progress(&mut self, _percent: &u32) {}
}

fn main() {}
