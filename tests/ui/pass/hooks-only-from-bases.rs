// A component with no `#[hooks]` impl of its own: its hooks are its bases' and those attached at
// run time.
use hooks_runtime::prelude::*;

#[derive(Hooks, Default)]
struct Cache {
    #[hooks(base)]
    service: Service,
    #[hooks(base)]
    bus: MessageBusClient,
}

#[derive(Hooks, Default)]
struct Tuple(#[hooks(base)] Service, #[hooks(base)] Cache);

fn main() {
    assert!(Tuple::provides::<OnMessage>());
    assert!(Tuple::default().hook_infos().is_empty());

    assert!(Cache::provides::<OnStart>());
    assert!(Cache::provides::<OnMessage>());
    assert!(!Cache::provides::<OnCommand>());

    let mut cache = Cache::default();
    assert!(cache.hook_infos().is_empty());
    cache.attach_hook::<OnStart>("warm", |_cache: &mut Cache, _: &()| {}, ()).unwrap();
    assert_eq!(cache.hooks::<OnStart>().len(), 1);
}
