use hooks_runtime::prelude::*;
use hooks_runtime::{AttachedHooks, Returned};
use std::sync::{Arc, Mutex};

#[derive(Debug)]
pub struct NodeError(String);
impl From<Vetoed> for NodeError {
    fn from(v: Vetoed) -> Self {
        NodeError(v.to_string())
    }
}

stage!(pub Forward(String, u32) -> Result<usize, NodeError>);

#[derive(Hooks, Default)]
#[provides_hooks(Forward)]
struct Agent {
    #[hooks(name)]
    name: String,
    attached: AttachedHooks,
    seen: Vec<String>,
}

#[hooks]
impl Agent {
    #[stage(Forward)]
    fn forward(&mut self, input: &str, n: u32) -> Result<usize, NodeError> {
        if n == 0 {
            return Err(NodeError("zero".into()));
        }
        self.seen.push(format!("body {input} {n}"));
        Ok(input.len() * n as usize)
    }

    #[hook(After<Forward>)]
    fn after_forward(&mut self, r: &Returned<Forward>) {
        self.seen.push(format!("static after {}", r.output));
    }
}

#[derive(Hooks, Default)]
struct Graph {
    #[hooks(name)]
    name: String,
    #[hooks(children)]
    agents: Children<Agent>,
}

#[test]
fn smoke() {
    let mut a = Agent { name: "a".into(), ..Default::default() };
    a.attach_hook::<Before<Forward>>(
        "b",
        |a: &mut Agent, args: &(String, u32)| a.seen.push(format!("before {}", args.0)),
        (),
    )
    .unwrap();
    assert_eq!(a.forward("xy", 2).unwrap(), 4);
    assert_eq!(a.seen, ["before xy", "body xy 2", "static after 4"]);
    a.attach_hook::<Before<Forward>>("veto", |_: &mut Agent, _: &(String, u32)| Control::stop("no"), ()).unwrap();
    let e = a.forward("xy", 2).unwrap_err();
    assert!(e.0.contains("vetoed by `veto`"), "{}", e.0);

    let log = Arc::new(Mutex::new(Vec::new()));
    let mut g = Graph { name: "g".into(), agents: Children::new() };
    g.agents.push(Agent { name: "a1".into(), ..Default::default() });
    let l = log.clone();
    let landing = g
        .register_recursive::<Before<Forward>, _, _>(
            "trace",
            move |n: &NodeRef<'_>, args: &(String, u32)| l.lock().unwrap().push(format!("{} {}", n.path(), args.0)),
            Selector::of_type::<Agent>(),
        )
        .unwrap();
    assert_eq!(landing.attached(), ["g/a1"]);
    g.agents.push(Agent { name: "a2".into(), ..Default::default() });
    for a in g.agents.iter_mut() {
        a.forward("q", 1).unwrap();
    }
    assert_eq!(*log.lock().unwrap(), ["g/a1 q", "g/a2 q"]);
}

hook_type!(pub OnEpochEnd(u32));

#[derive(Hooks, Default)]
#[provides_hooks(OnEpochEnd)]
pub struct Trainer {
    attached: AttachedHooks,
    pub log: Vec<String>,
}

pub trait TrainerCallback: Send {
    fn on_epoch_end(&mut self, _t: &mut Trainer, _epoch: &u32) -> hooks_runtime::CallbackResult {
        Ok(Control::Continue)
    }
}

impl CallbackHost for Trainer {
    type Callback = dyn TrainerCallback;
    fn attach_callback(
        &mut self,
        cb: &hooks_runtime::SharedCallback<dyn TrainerCallback>,
        spec: &HookSpec,
    ) -> Result<(), HookError> {
        cb.attach::<OnEpochEnd, _, _>(self, spec, |cb, t, e| cb.on_epoch_end(t, e))
    }
}

#[derive(serde::Deserialize)]
struct Stopper {
    at: u32,
}

#[callback(name = "stopper")]
impl TrainerCallback for Stopper {
    fn on_epoch_end(&mut self, t: &mut Trainer, epoch: &u32) -> hooks_runtime::CallbackResult {
        t.log.push(format!("stopper {epoch}"));
        Ok(if *epoch >= self.at { Control::stop("enough") } else { Control::Continue })
    }
}

struct Builtin;
impl TrainerCallback for Builtin {
    fn on_epoch_end(&mut self, t: &mut Trainer, epoch: &u32) -> hooks_runtime::CallbackResult {
        t.log.push(format!("builtin {epoch}"));
        Ok(Control::Continue)
    }
}

#[tokio::test]
async fn callbacks_smoke() {
    let mut t = Trainer::default();
    t.add_builtin_callback("builtin", Box::new(Builtin)).unwrap();
    let config =
        hooks_runtime::CallbackConfig::from_toml("[[callbacks]]\nname = \"stopper\"\nsettings = { at = 2 }\n").unwrap();
    assert_eq!(t.add_callbacks_from_config(&config).unwrap(), ["stopper"]);
    let r = t.run_hooks_report::<OnEpochEnd>(&1, RunSpec::new()).await;
    assert!(r.is_ok());
    let r = t.run_hooks_report::<OnEpochEnd>(&2, RunSpec::new()).await;
    assert_eq!(t.log, ["stopper 1", "builtin 1", "stopper 2"]);
    println!("{r:?}");
    let bad = hooks_runtime::CallbackConfig::from_toml("[[callbacks]]\nname = \"stoper\"\n").unwrap();
    let e = t.add_callbacks_from_config(&bad).unwrap_err().to_string();
    assert!(e.contains("known callbacks: stopper"), "{e}");
    let bad =
        hooks_runtime::CallbackConfig::from_toml("[[callbacks]]\nname = \"stopper\"\nsettings = { at = \"x\" }\n")
            .unwrap();
    let e = t.add_callbacks_from_config(&bad).unwrap_err().to_string();
    println!("{e}");
}
