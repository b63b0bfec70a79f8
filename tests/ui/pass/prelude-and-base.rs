// The prelude glob brings both the `#[hooks]` attribute and the `Hooks` derive, whose helper is
// also named `hooks`: `#[hooks(base)]` on a field and `#[hooks]` on the impl live side by side.
use hooks_runtime::prelude::*;

#[derive(Hooks, Default)]
#[provides_hooks(OnMessage)]
struct Store {
    #[hooks(base)]
    service: Service,
    log: Vec<&'static str>,
}

#[hooks]
impl Store {
    #[on_init]
    fn load(&mut self) {
        self.log.push("store");
    }
}

#[derive(Hooks, Default)]
struct App {
    #[hooks(base)]
    store: Store,
}

#[hooks]
impl App {
    #[on_init]
    fn ready(&mut self) {
        self.store.log.push("app");
    }
}

fn main() {
    let mut app = App::default();
    tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
        app.run_hooks::<OnInit>().await.unwrap();
    });
    assert_eq!(app.store.log, ["store", "app"]);
    assert!(App::provides::<OnMessage>());
    assert!(App::provides::<OnStart>());
}
