// An unknown argument, a trait impl, a generic impl and a method's unknown key: all reported at once.
use hooks_runtime::prelude::*;

struct Wrapper<T>(T);

trait Start {
    fn start(&mut self);
}

#[hooks(krate = "hooks_runtime")]
impl<T> Start for Wrapper<T> {
    #[on_start(prio = 1)]
    fn start(&mut self) {}
}

fn main() {}
