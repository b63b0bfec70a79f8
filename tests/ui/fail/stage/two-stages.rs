use hooks_runtime::prelude::*;

stage!(pub Build);
stage!(pub Prepare);

#[derive(Hooks, Default)]
#[provides_hooks(Build, Prepare)]
struct Agent {
    attached: AttachedHooks,
}

#[hooks]
impl Agent {
    #[stage(Build)]
    #[stage(Prepare)]
    fn build(&mut self) {}
}

fn main() {}
