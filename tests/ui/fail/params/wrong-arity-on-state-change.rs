use hooks_runtime::prelude::*;

#[derive(Hooks)]
#[provides_hooks(OnStateChange)]
struct Worker;

#[hooks]
impl Worker {
    #[on_state_change]
    fn changed(&mut self, new: LifecycleState) {
        let _ = new;
    }
}

fn main() {}
