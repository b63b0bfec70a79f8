// Attaching a run-time hook to a component with no `AttachedHooks` (itself or in a base) does
// not compile; the message says where to keep them.
use hooks_runtime::prelude::*;

hook_type!(pub OnFlush);

#[derive(Hooks, Default)]
#[provides_hooks(OnFlush)]
struct NoStorage;

#[derive(Hooks, Default)]
#[provides_hooks(OnFlush)]
struct Outer {
    #[hooks(base)]
    inner: NoStorage,
}

fn main() {
    let mut n = NoStorage;
    let _ = n.attach_hook::<OnFlush>("x", |_: &mut NoStorage, _: &()| {}, ());
    // A base without storage does not give any.
    let mut o = Outer::default();
    let _ = o.enable_stats();
}
