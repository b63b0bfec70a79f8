//! DESIGN.md "Order": bases first (depth-first, field order), definition order, priority, attached
//! hooks after static ones of equal priority, exact reverse for stop. Ported from AIPerf's
//! test_hooks.py ordering cases.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use hooks_runtime::prelude::*;

type Log = Arc<Mutex<Vec<String>>>;

fn push(log: &Log, s: &str) {
    log.lock().unwrap().push(s.to_owned());
}

fn take(log: &Log) -> Vec<String> {
    std::mem::take(&mut *log.lock().unwrap())
}

#[derive(Hooks, Default)]
struct Grand {
    #[hooks(base)]
    service: Service,
    log: Log,
}

#[hooks]
impl Grand {
    #[on_init]
    fn grand_init(&mut self) {
        push(&self.log, "grand_init");
    }
    #[on_stop]
    fn grand_stop(&mut self) {
        push(&self.log, "grand_stop");
    }
}

#[derive(Hooks, Default)]
struct Parent {
    #[hooks(base)]
    grand: Grand,
    log: Log,
}

#[hooks]
impl Parent {
    #[on_init]
    async fn parent_init_1(&mut self) {
        push(&self.log, "parent_init_1");
    }
    #[on_init]
    fn parent_init_2(&mut self) {
        push(&self.log, "parent_init_2");
    }
    #[on_stop]
    async fn parent_stop(&mut self) {
        push(&self.log, "parent_stop");
    }
}

#[derive(Hooks, Default)]
#[provides_hooks(OnMessage, OnInit, OnStop)]
struct Sidecar {
    log: Log,
}

#[hooks]
impl Sidecar {
    #[on_init]
    fn sidecar_init(&mut self) {
        push(&self.log, "sidecar_init");
    }
    #[on_stop]
    fn sidecar_stop(&mut self) {
        push(&self.log, "sidecar_stop");
    }
}

// Multiple bases, one of them multi-level; the type's own hooks come last.
#[derive(Hooks, Default)]
struct Child {
    #[hooks(base)]
    parent: Parent,
    #[hooks(base)]
    sidecar: Sidecar,
    log: Log,
}

#[hooks]
impl Child {
    #[on_init]
    fn child_init(&mut self) {
        push(&self.log, "child_init");
    }
    #[on_stop]
    fn child_stop(&mut self) {
        push(&self.log, "child_stop");
    }
}

// A second impl block later in the file keeps definition order.
#[hooks]
impl Child {
    #[on_init]
    fn child_init_later(&mut self) {
        push(&self.log, "child_init_later");
    }
}

fn child() -> (Child, Log) {
    let log = Log::default();
    let mut c = Child { log: log.clone(), ..Child::default() };
    c.sidecar.log = log.clone();
    c.parent.log = log.clone();
    c.parent.grand.log = log.clone();
    (c, log)
}

#[tokio::test]
async fn bases_run_first_depth_first_in_field_order_then_definition_order() {
    let (mut c, log) = child();
    c.run_hooks::<OnInit>().await.unwrap();
    assert_eq!(
        take(&log),
        ["grand_init", "parent_init_1", "parent_init_2", "sidecar_init", "child_init", "child_init_later"]
    );
}

#[tokio::test]
async fn stop_hooks_run_in_exact_reverse() {
    let (mut c, log) = child();
    c.run_hooks_reversed::<OnStop>().await.unwrap();
    assert_eq!(take(&log), ["child_stop", "sidecar_stop", "parent_stop", "grand_stop"]);
    c.run_hooks::<OnInit>().await.unwrap();
    let forward = take(&log);
    c.run_hooks_reversed::<OnInit>().await.unwrap();
    let mut backward = take(&log);
    backward.reverse();
    assert_eq!(forward, backward);
}

#[tokio::test]
async fn hooks_lists_the_run_order_with_owner_and_method() {
    let (c, _) = child();
    let listed: Vec<String> = c.hooks::<OnInit>().iter().map(|h| format!("{}::{}", h.owner, h.method)).collect();
    assert_eq!(
        listed,
        [
            "Grand::grand_init",
            "Parent::parent_init_1",
            "Parent::parent_init_2",
            "Sidecar::sidecar_init",
            "Child::child_init",
            "Child::child_init_later"
        ]
    );
    let infos = c.hooks::<OnInit>();
    assert!(infos[1].is_async && !infos[0].is_async);
    assert!(infos.iter().all(|h| h.hook_type == "OnInit" && h.priority == 0 && !h.attached));
    assert!(infos[0].location.unwrap().file.ends_with("ordering.rs"));
}

#[derive(Hooks, Default)]
struct Prioritized {
    #[hooks(base)]
    grand: Grand,
    log: Log,
}

#[hooks]
impl Prioritized {
    #[on_init(priority = 5)]
    fn late(&mut self) {
        push(&self.log, "late");
    }
    #[on_init]
    fn plain(&mut self) {
        push(&self.log, "plain");
    }
    #[on_init(priority = -1)]
    fn early(&mut self) {
        push(&self.log, "early");
    }
    #[on_init(priority = -1)]
    fn early_too(&mut self) {
        push(&self.log, "early_too");
    }
}

#[tokio::test]
async fn priority_moves_hooks_across_levels_and_ties_keep_hierarchy_order() {
    let log = Log::default();
    let mut c = Prioritized { log: log.clone(), ..Prioritized::default() };
    c.grand.log = log.clone();
    c.run_hooks::<OnInit>().await.unwrap();
    assert_eq!(take(&log), ["early", "early_too", "grand_init", "plain", "late"]);
    c.run_hooks_reversed::<OnInit>().await.unwrap();
    assert_eq!(take(&log), ["late", "plain", "grand_init", "early_too", "early"]);
    let priorities: Vec<i32> = c.hooks::<OnInit>().iter().map(|h| h.priority).collect();
    assert_eq!(priorities, [-1, -1, 0, 0, 5]);
}

#[tokio::test]
async fn attached_hooks_come_after_static_ones_of_equal_priority_in_attach_order() {
    let (mut c, log) = child();
    for name in ["attached_1", "attached_2"] {
        let l = log.clone();
        c.attach_hook::<OnInit>(name, move |_: &mut Child, _: &()| push(&l, name), ()).unwrap();
    }
    c.run_hooks::<OnInit>().await.unwrap();
    let order = take(&log);
    assert_eq!(&order[order.len() - 3..], ["child_init_later", "attached_1", "attached_2"]);
    c.run_hooks_reversed::<OnInit>().await.unwrap();
    assert_eq!(&take(&log)[..3], ["attached_2", "attached_1", "child_init_later"]);
    let listed: Vec<_> = c.hooks::<OnInit>().into_iter().map(|h| (h.method.into_owned(), h.attached)).collect();
    assert_eq!(listed.last().unwrap(), &("attached_2".to_owned(), true));
}

#[derive(Hooks, Default)]
struct Slow {
    #[hooks(base)]
    service: Service,
    log: Vec<&'static str>,
}

#[hooks]
impl Slow {
    #[on_start]
    async fn slow(&mut self) {
        tokio::time::sleep(Duration::from_secs(3)).await;
        self.log.push("slow");
    }
    #[on_start]
    async fn fast(&mut self) {
        self.log.push("fast");
    }
    #[on_start]
    async fn medium(&mut self) {
        tokio::time::sleep(Duration::from_millis(10)).await;
        self.log.push("medium");
    }
}

#[tokio::test(start_paused = true)]
async fn order_is_the_same_whatever_each_hook_takes() {
    for _ in 0..3 {
        let mut s = Slow::default();
        s.run_hooks::<OnStart>().await.unwrap();
        assert_eq!(s.log, ["slow", "fast", "medium"]);
    }
}

#[derive(Hooks, Default)]
struct Conditional {
    #[hooks(base)]
    service: Service,
    log: Vec<&'static str>,
}

#[hooks]
impl Conditional {
    #[cfg(any())]
    #[on_init]
    fn compiled_out(&mut self) {
        self.log.push("compiled_out");
    }

    #[on_init]
    fn kept(&mut self) {
        self.log.push("kept");
    }
}

#[tokio::test]
async fn cfg_on_a_hook_method_removes_its_registration_too() {
    let mut c = Conditional::default();
    c.run_hooks::<OnInit>().await.unwrap();
    assert_eq!(c.log, ["kept"]);
}

/// Components with no `#[hooks]` impl of their own: everything comes from the bases.
#[derive(Hooks, Default)]
struct OnlyBases {
    #[hooks(base)]
    child: Child,
}

#[tokio::test]
async fn a_component_without_a_hooks_impl_runs_its_bases_hooks() {
    let mut c = OnlyBases::default();
    assert_eq!(c.hooks::<OnInit>().len(), 6);
    c.run_hooks::<OnInit>().await.unwrap();
    assert!(OnlyBases::provides::<OnMessage>(), "provided through Child's Sidecar base");
}

macro_rules! generated_hooks {
    ($($name:ident),*) => {
        #[derive(Hooks, Default)]
        struct Generated {
            #[hooks(base)]
            service: Service,
            log: Vec<&'static str>,
        }

        #[hooks]
        impl Generated {
            $(
                #[on_init]
                fn $name(&mut self) {
                    self.log.push(stringify!($name));
                }
            )*
        }
    };
}

generated_hooks!(h0, h1, h2, h3, h4, h5, h6, h7, h8, h9);

#[tokio::test]
async fn hooks_generated_by_one_macro_call_keep_definition_order() {
    let mut g = Generated::default();
    g.run_hooks::<OnInit>().await.unwrap();
    assert_eq!(g.log, ["h0", "h1", "h2", "h3", "h4", "h5", "h6", "h7", "h8", "h9"]);
}
