use hooks_runtime::prelude::*;

#[derive(Hooks)]
#[provides_hooks(OnStateChange)]
struct Worker;

#[hooks]
impl Worker {
    #[on_state_change]
    fn changed(&mut self, old: LifecycleState, new: &LifecycleState) {
        let _ = (old, new);
    }
}

fn main() {}
