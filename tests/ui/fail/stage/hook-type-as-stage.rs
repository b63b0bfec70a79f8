use hooks_runtime::prelude::*;

hook_type!(pub Tick(u32));

#[derive(Hooks, Default)]
#[provides_hooks(Tick)]
struct Agent {
    attached: AttachedHooks,
}

#[hooks]
impl Agent {
    #[stage(Tick)]
    fn tick(&mut self, n: u32) -> u32 {
        n
    }
}

fn main() {}
