use std::sync::{Arc, Mutex};

use hooks_runtime::prelude::*;

#[derive(Debug, Clone, Copy, PartialEq)]
enum Kind { A, B, Debug }

#[derive(Hooks, Default)]
#[provides_hooks(OnMessage)]
struct Base {
    #[hooks(base)]
    service: Service,
    log: Vec<String>,
}

#[hooks]
impl Base {
    #[on_init]
    fn base_init(&mut self) { self.log.push("base_init".into()); }
    #[on_stop]
    async fn base_stop(&mut self) { self.log.push("base_stop".into()); }
}

#[derive(Hooks, Default)]
struct Child {
    #[hooks(base)]
    base: Base,
    debug: bool,
}

#[hooks]
impl Child {
    #[on_init]
    async fn child_init(&mut self) -> Result<(), std::io::Error> { self.base.log.push("child_init".into()); Ok(()) }
    #[on_message(Kind::A, Kind::B)]
    fn track(&mut self, _m: &Message) {}
    #[on_message(|this: &Self| if this.debug { vec![Kind::Debug] } else { vec![] })]
    fn debug(&mut self, _m: &Message) {}
    #[on_stop]
    fn child_stop(&mut self, _r: &StopReason) { self.base.log.push("child_stop".into()); }
    #[background_task(interval = "5s", immediate = false)]
    async fn tick(&mut self) {}
}

#[tokio::test]
async fn smoke() {
    let mut c = Child::default();
    c.run_hooks::<OnInit>().await.unwrap();
    c.run_hooks_reversed::<OnStop>().await.unwrap();
    assert_eq!(c.base.log, ["base_init", "child_init", "child_stop", "base_stop"]);
    let infos = c.hooks::<OnMessage>();
    println!("{infos:#?}");
    c.debug = true;
    println!("{:?}", c.hooks::<OnMessage>()[1].params);
    println!("{:?}", c.hooks::<BackgroundTask>()[0].params);
    let seen = Arc::new(Mutex::new(0));
    let s2 = seen.clone();
    c.attach_hook::<OnInit, _, _>("late", move |_c: &mut Child, _| { *s2.lock().unwrap() += 1; }, ()).unwrap();
    c.run_hooks::<OnInit>().await.unwrap();
    assert_eq!(*seen.lock().unwrap(), 1);
    for i in c.hook_infos() { println!("{} {}::{} {:?}", i.hook_type, i.owner, i.method, i.location); }
}
