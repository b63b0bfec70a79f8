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
