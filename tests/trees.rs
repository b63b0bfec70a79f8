//! Component trees (hooks-core/src/tree.rs): `#[hooks(child)]`, `#[hooks(children)]`,
//! `#[hooks(name)]`, `Tree::register_recursive` with selectors, where hooks land (`Landing`,
//! `hook_tree`), children added later, `remove_recursive`, and the errors of bad selectors.

use std::sync::{Arc, Mutex};

use hooks_runtime::prelude::*;
use hooks_runtime::{Landing, Node, Placement};

#[derive(Debug, PartialEq)]
pub struct NodeError(String);

impl From<Vetoed> for NodeError {
    fn from(v: Vetoed) -> Self {
        NodeError(v.to_string())
    }
}

stage!(pub Forward(String, u32) -> Result<usize, NodeError>);
hook_type!(pub Tick(u32));

/// Provides the stage and `Tick`.
#[derive(Hooks, Default)]
#[provides_hooks(Forward, Tick)]
struct Agent {
    #[hooks(name)]
    name: String,
    attached: AttachedHooks,
    calls: u32,
}

#[hooks]
impl Agent {
    #[stage(Forward)]
    fn forward(&mut self, input: &str, n: u32) -> Result<usize, NodeError> {
        self.calls += 1;
        Ok(input.len() * n as usize)
    }
}

fn agent(name: &str) -> Agent {
    Agent { name: name.to_owned(), ..Default::default() }
}

/// Provides `Tick` only.
#[derive(Hooks, Default)]
#[provides_hooks(Tick)]
struct Critic {
    #[hooks(name)]
    name: String,
    attached: AttachedHooks,
}

fn critic(name: &str) -> Critic {
    Critic { name: name.to_owned(), ..Default::default() }
}

/// No name field: named after its type in paths.
#[derive(Hooks, Default)]
#[provides_hooks(Tick)]
struct Unnamed {
    attached: AttachedHooks,
}

/// Provides `Tick` but has nowhere to keep run-time hooks.
#[derive(Hooks, Default)]
#[provides_hooks(Tick)]
struct Bare {
    #[hooks(name)]
    name: String,
}

/// Provides nothing; holds agents in a `Children` (late additions get registrations) and critics
/// in a plain `Vec` (they do not).
#[derive(Hooks, Default)]
struct Graph {
    #[hooks(name)]
    name: String,
    #[hooks(children)]
    agents: Children<Agent>,
    #[hooks(children)]
    critics: Vec<Critic>,
}

fn graph(name: &str, agents: &[&str], critics: &[&str]) -> Graph {
    Graph {
        name: name.to_owned(),
        agents: agents.iter().map(|n| agent(n)).collect(),
        critics: critics.iter().map(|n| critic(n)).collect(),
    }
}

/// Every kind of child field.
#[derive(Hooks, Default)]
#[provides_hooks(Tick)]
struct Pipeline {
    #[hooks(name)]
    name: String,
    attached: AttachedHooks,
    #[hooks(child)]
    planner: Agent,
    #[hooks(children)]
    graphs: Children<Graph>,
    #[hooks(children)]
    spare: Option<Unnamed>,
    #[hooks(children)]
    pair: [Critic; 2],
}

fn pipeline() -> Pipeline {
    Pipeline {
        name: "p".into(),
        attached: AttachedHooks::default(),
        planner: agent("planner"),
        graphs: [graph("g1", &["a1", "a2"], &["c1"])].into_iter().collect(),
        spare: Some(Unnamed::default()),
        pair: [critic("left"), critic("right")],
    }
}

/// Mixed children.
#[derive(Hooks, Default)]
struct Zoo {
    #[hooks(name)]
    name: String,
    #[hooks(children)]
    members: Children<Box<dyn Node>>,
    #[hooks(children)]
    fixed: Vec<Box<dyn Node>>,
}

type Log = Arc<Mutex<Vec<String>>>;

/// A recursive BEFORE observer that logs the node's path and the input.
fn trace_forward(log: &Log) -> impl Fn(&NodeRef<'_>, &(String, u32)) + Send + Sync + 'static {
    let log = log.clone();
    move |node: &NodeRef<'_>, args: &(String, u32)| log.lock().unwrap().push(format!("{} {}", node.path(), args.0))
}

/// A recursive `Tick` observer that logs the node's path and the tick.
fn trace_tick(log: &Log) -> impl Fn(&NodeRef<'_>, &u32) + Send + Sync + 'static {
    let log = log.clone();
    move |node: &NodeRef<'_>, n: &u32| log.lock().unwrap().push(format!("{} {n}", node.path()))
}

fn placement(p: &Placement) -> &'static str {
    match p {
        Placement::Attached => "attached",
        Placement::NotSelected => "not selected",
        Placement::NotProvided => "not provided",
        Placement::Refused(_) => "refused",
        _ => "other",
    }
}

fn outcomes(landing: &Landing) -> Vec<(String, &'static str, &'static str)> {
    landing.nodes.iter().map(|n| (n.path.to_string(), n.type_name, placement(&n.outcome))).collect()
}

fn rows(v: &[(&str, &'static str, &'static str)]) -> Vec<(String, &'static str, &'static str)> {
    v.iter().map(|(p, t, o)| (p.to_string(), *t, *o)).collect()
}

/// Each node's path and the names of its hooks of every type.
fn tree_hooks(t: &impl Tree) -> Vec<(String, Vec<String>)> {
    t.hook_tree()
        .into_iter()
        .map(|n| (n.path.to_string(), n.hooks.into_iter().map(|h| h.method.into_owned()).collect()))
        .collect()
}

fn named_hooks(v: &[(&str, &[&str])]) -> Vec<(String, Vec<String>)> {
    v.iter().map(|(p, hs)| (p.to_string(), hs.iter().map(|h| h.to_string()).collect())).collect()
}

fn fire_all(g: &mut Graph, input: &str) {
    for a in g.agents.iter_mut() {
        a.forward(input, 1).unwrap();
    }
}

#[test]
fn selector_all_lands_on_every_node_that_provides_the_hook_type() {
    let log = Log::default();
    let mut g = graph("g", &["a1", "a2"], &["c1"]);
    let landing = g.register_recursive::<Before<Forward>, _, _>("trace", trace_forward(&log), Selector::all()).unwrap();
    assert_eq!(
        outcomes(&landing),
        rows(&[
            ("g", "Graph", "not provided"),
            ("g/a1", "Agent", "attached"),
            ("g/a2", "Agent", "attached"),
            ("g/c1", "Critic", "not provided"),
        ])
    );
    assert_eq!(landing.attached(), ["g/a1", "g/a2"]);
    assert_eq!(landing.refused().count(), 0);
    fire_all(&mut g, "q");
    assert_eq!(*log.lock().unwrap(), ["g/a1 q", "g/a2 q"]);
}

#[tokio::test]
async fn a_recursive_hook_of_a_plain_hook_type_runs_with_its_node() {
    let log = Log::default();
    let mut g = graph("g", &["a1"], &["c1", "c2"]);
    let landing = g.register_recursive::<Tick, _, _>("tick", trace_tick(&log), Selector::all()).unwrap();
    assert_eq!(landing.attached(), ["g/a1", "g/c1", "g/c2"]);
    g.critics[1].run_hooks_with::<Tick>(&7).await.unwrap();
    g.agents.iter_mut().next().unwrap().run_hooks_with::<Tick>(&8).await.unwrap();
    assert_eq!(*log.lock().unwrap(), ["g/c2 7", "g/a1 8"]);
    let infos = g.critics[0].hooks::<Tick>();
    assert_eq!(infos.len(), 1);
    assert_eq!((infos[0].owner, infos[0].method.as_ref(), infos[0].attached), ("Critic", "tick", true));
}

#[test]
fn selectors_by_type_name_names_predicate_and_both() {
    let noop = |_: &NodeRef<'_>, _: &u32| {};
    let attached = |selector: Selector| {
        let mut g = graph("g", &["a1", "a2"], &["c1", "c2"]);
        let landing = g.register_recursive::<Tick, _, _>("t", noop, selector).unwrap();
        landing.attached().into_iter().map(|path| path.to_string()).collect::<Vec<_>>()
    };
    assert_eq!(attached(Selector::of_type::<Critic>()), ["g/c1", "g/c2"]);
    assert_eq!(attached(Selector::of_type::<Agent>()), ["g/a1", "g/a2"]);
    assert_eq!(attached(Selector::named("a2")), ["g/a2"]);
    assert_eq!(attached(Selector::names(["c2", "a1", "nobody"])), ["g/a1", "g/c2"]);
    assert_eq!(attached(Selector::when(|n| n.path().to_string().ends_with('1'))), ["g/a1", "g/c1"]);
    assert_eq!(attached(Selector::when(|n| n.is::<Critic>() && n.name() != "c1")), ["g/c2"]);
    assert_eq!(attached(Selector::of_type::<Agent>().and(Selector::when(|n| n.name() != "a1"))), ["g/a2"]);
    assert_eq!(attached(Selector::names(["a1", "c1"]).and(Selector::of_type::<Critic>())), ["g/c1"]);
    assert!(attached(Selector::named("g")).is_empty(), "the root is selected but does not provide Tick");
}

#[test]
fn a_selected_node_that_does_not_provide_the_hook_type_is_reported_not_provided() {
    let mut g = graph("g", &["a1"], &["c1"]);
    let landing = g
        .register_recursive::<Before<Forward>, _, _>(
            "t",
            |_: &NodeRef<'_>, _: &(String, u32)| {},
            Selector::names(["g", "c1", "a1"]),
        )
        .unwrap();
    assert_eq!(
        outcomes(&landing),
        rows(&[("g", "Graph", "not provided"), ("g/a1", "Agent", "attached"), ("g/c1", "Critic", "not provided")])
    );
    let landing = g
        .register_recursive::<Before<Forward>, _, _>(
            "t",
            |_: &NodeRef<'_>, _: &(String, u32)| {},
            Selector::named("c1"),
        )
        .unwrap();
    assert_eq!(
        outcomes(&landing),
        rows(&[("g", "Graph", "not selected"), ("g/a1", "Agent", "not selected"), ("g/c1", "Critic", "not provided")])
    );
    // The second registration selected no agent: the first one's hook stays where it was.
    assert_eq!(tree_hooks(&g), named_hooks(&[("g", &[]), ("g/a1", &["t"]), ("g/c1", &[])]));
}

#[test]
fn observers_see_the_node_its_name_type_and_path() {
    let seen = Log::default();
    let s = seen.clone();
    let mut g = graph("g", &["a1"], &[]);
    g.register_recursive::<After<Forward>, _, _>(
        "inspect",
        move |node: &NodeRef<'_>, r: &hooks_runtime::Returned<Forward>| {
            let agent = node.downcast_ref::<Agent>().expect("an agent");
            s.lock().unwrap().push(format!(
                "{} {} {} {} calls={} out={} is_critic={}",
                node.path(),
                node.name(),
                node.type_name(),
                node.node().name(),
                agent.calls,
                r.output,
                node.is::<Critic>()
            ));
        },
        Selector::all(),
    )
    .unwrap();
    fire_all(&mut g, "abc");
    assert_eq!(*seen.lock().unwrap(), ["g/a1 a1 Agent a1 calls=1 out=3 is_critic=false"]);
}

#[test]
fn a_recursive_observer_can_veto_a_stage() {
    let mut g = graph("g", &["a1", "a2"], &[]);
    g.register_recursive::<Before<Forward>, _, _>(
        "gate",
        |node: &NodeRef<'_>, _: &(String, u32)| {
            if node.name() == "a2" {
                Control::stop(format!("{} is closed", node.path()))
            } else {
                Control::Continue
            }
        },
        Selector::all(),
    )
    .unwrap();
    let mut agents = g.agents.iter_mut();
    assert_eq!(agents.next().unwrap().forward("x", 2), Ok(2));
    let a2 = agents.next().unwrap();
    assert_eq!(a2.forward("x", 2), Err(NodeError("stage `Forward` vetoed by `gate`: g/a2 is closed".into())));
    assert_eq!(a2.calls, 0);
}

#[test]
fn children_added_later_with_push_or_insert_get_the_registration() {
    let log = Log::default();
    let mut g = graph("g", &["a1"], &[]);
    g.register_recursive::<Before<Forward>, _, _>("trace", trace_forward(&log), Selector::of_type::<Agent>()).unwrap();
    let landing = g.agents.push(agent("a2"));
    assert_eq!(outcomes(&landing), rows(&[("g/a2", "Agent", "attached")]));
    let landing = g.agents.insert(0, agent("a0")).expect("in bounds");
    assert_eq!(landing.attached(), ["g/a0"]);
    assert!(g.agents.insert(9, agent("far")).is_none(), "out of bounds: nothing added");
    assert_eq!(g.agents.len(), 3);
    fire_all(&mut g, "q");
    assert_eq!(*log.lock().unwrap(), ["g/a0 q", "g/a1 q", "g/a2 q"]);
}

#[test]
fn a_late_child_gets_the_registration_only_where_the_selector_picks_it() {
    let mut g = graph("g", &["a1"], &[]);
    g.register_recursive::<Tick, _, _>("t", |_: &NodeRef<'_>, _: &u32| {}, Selector::named("a1")).unwrap();
    let landing = g.agents.push(agent("a2"));
    assert_eq!(outcomes(&landing), rows(&[("g/a2", "Agent", "not selected")]));
    let landing = g.agents.push(agent("a1"));
    assert_eq!(landing.attached(), ["g/a1"]);
}

#[test]
fn a_late_child_brings_its_own_subtree_and_later_additions_to_it() {
    let log = Log::default();
    let mut p = pipeline();
    p.register_recursive::<Before<Forward>, _, _>("trace", trace_forward(&log), Selector::all()).unwrap();
    let landing = p.graphs.push(graph("g2", &["x1", "x2"], &["y1"]));
    assert_eq!(
        outcomes(&landing),
        rows(&[
            ("p/g2", "Graph", "not provided"),
            ("p/g2/x1", "Agent", "attached"),
            ("p/g2/x2", "Agent", "attached"),
            ("p/g2/y1", "Critic", "not provided"),
        ])
    );
    // The new graph's own `Children` remembers the registration too.
    let g2 = p.graphs.iter_mut().last().unwrap();
    assert_eq!(g2.agents.push(agent("x3")).attached(), ["p/g2/x3"]);
    fire_all(g2, "deep");
    assert_eq!(*log.lock().unwrap(), ["p/g2/x1 deep", "p/g2/x2 deep", "p/g2/x3 deep"]);
}

#[test]
fn plain_vec_children_added_later_do_not_get_it_and_registering_again_is_idempotent() {
    let mut g = graph("g", &["a1"], &["c1"]);
    let noop = |_: &NodeRef<'_>, _: &u32| {};
    g.register_recursive::<Tick, _, _>("t", noop, Selector::all()).unwrap();
    g.critics.push(critic("c2"));
    assert!(g.critics[1].hooks::<Tick>().is_empty(), "a plain Vec does not remember registrations");

    let landing = g.register_recursive::<Tick, _, _>("t", noop, Selector::all()).unwrap();
    assert_eq!(landing.attached(), ["g/a1", "g/c1", "g/c2"]);
    assert_eq!(
        tree_hooks(&g),
        named_hooks(&[("g", &[]), ("g/a1", &["t"]), ("g/c1", &["t"]), ("g/c2", &["t"])]),
        "one hook per node, replaced in place"
    );
    // The `Children` collection kept one rule, not two: a late agent gets one landing.
    let landing = g.agents.push(agent("a2"));
    assert_eq!(outcomes(&landing), rows(&[("g/a2", "Agent", "attached")]));
}

#[test]
fn every_child_field_kind_and_nested_paths() {
    let log = Log::default();
    let mut p = pipeline();
    let landing = p.register_recursive::<Tick, _, _>("tick", trace_tick(&log), Selector::all()).unwrap();
    assert_eq!(
        outcomes(&landing),
        rows(&[
            ("p", "Pipeline", "attached"),
            ("p/planner", "Agent", "attached"),
            ("p/g1", "Graph", "not provided"),
            ("p/g1/a1", "Agent", "attached"),
            ("p/g1/a2", "Agent", "attached"),
            ("p/g1/c1", "Critic", "attached"),
            ("p/Unnamed", "Unnamed", "attached"),
            ("p/left", "Critic", "attached"),
            ("p/right", "Critic", "attached"),
        ])
    );
}

#[tokio::test]
async fn recursive_hooks_fire_on_single_children_options_and_arrays() {
    let log = Log::default();
    let mut p = pipeline();
    p.register_recursive::<Tick, _, _>("tick", trace_tick(&log), Selector::all()).unwrap();
    p.run_hooks_with::<Tick>(&1).await.unwrap();
    p.planner.run_hooks_with::<Tick>(&2).await.unwrap();
    p.spare.as_mut().unwrap().run_hooks_with::<Tick>(&3).await.unwrap();
    p.pair[1].run_hooks_with::<Tick>(&4).await.unwrap();
    assert_eq!(*log.lock().unwrap(), ["p 1", "p/planner 2", "p/Unnamed 3", "p/right 4"]);
}

#[test]
fn a_node_without_hook_storage_is_refused_with_the_reason() {
    #[derive(Hooks, Default)]
    struct Holder {
        #[hooks(name)]
        name: String,
        #[hooks(children)]
        bare: Vec<Bare>,
        #[hooks(children)]
        critics: Vec<Critic>,
    }
    let mut h = Holder { name: "h".into(), bare: vec![Bare { name: "b1".into() }], critics: vec![critic("c1")] };
    let landing = h.register_recursive::<Tick, _, _>("t", |_: &NodeRef<'_>, _: &u32| {}, Selector::all()).unwrap();
    assert_eq!(landing.attached(), ["h/c1"]);
    let refused: Vec<_> = landing.refused().map(|(p, e)| (p.to_owned(), e.clone())).collect();
    assert_eq!(refused.len(), 1);
    assert_eq!(refused[0].0, "h/b1");
    assert!(
        matches!(&refused[0].1, HookError::NoAttachStorage { owner: "Bare", method, hook_type: "Tick" } if method == "t"),
        "{:?}",
        refused[0].1
    );
}

#[test]
fn boxed_dyn_node_children_of_mixed_types() {
    let mut zoo = Zoo {
        name: "zoo".into(),
        members: Children::new(),
        fixed: vec![Box::new(critic("fixed-c")), Box::new(agent("fixed-a"))],
    };
    zoo.members.push(Box::new(agent("a1")));
    zoo.members.push(Box::new(critic("c1")));
    zoo.members.push(Box::new(graph("g", &["a2"], &["c2"])));
    let landing = zoo
        .register_recursive::<Before<Forward>, _, _>(
            "trace",
            |_: &NodeRef<'_>, _: &(String, u32)| {},
            Selector::of_type::<Agent>(),
        )
        .unwrap();
    assert_eq!(
        outcomes(&landing),
        rows(&[
            ("zoo", "Zoo", "not selected"),
            ("zoo/a1", "Agent", "attached"),
            ("zoo/c1", "Critic", "not selected"),
            ("zoo/g", "Graph", "not selected"),
            ("zoo/g/a2", "Agent", "attached"),
            ("zoo/g/c2", "Critic", "not selected"),
            ("zoo/fixed-c", "Critic", "not selected"),
            ("zoo/fixed-a", "Agent", "attached"),
        ])
    );
    // A late boxed child gets it (and its subtree).
    let landing = zoo.members.push(Box::new(graph("h", &["a3"], &[])));
    assert_eq!(landing.attached(), ["zoo/h/a3"]);
    // `node_hooks` and `as_any` see through the box.
    assert_eq!(zoo.members[0].node_hooks().iter().map(|h| h.method.as_ref()).collect::<Vec<_>>(), ["trace"]);
    assert_eq!(zoo.members[0].as_any().downcast_ref::<Agent>().map(|a| a.name.as_str()), Some("a1"));
    let types: Vec<_> = zoo.hook_tree().iter().map(|n| (n.path.to_string(), n.type_name, n.hooks.len())).collect();
    assert_eq!(
        types,
        [
            ("zoo".to_owned(), "Zoo", 0),
            ("zoo/a1".to_owned(), "Agent", 1),
            ("zoo/c1".to_owned(), "Critic", 0),
            ("zoo/g".to_owned(), "Graph", 0),
            ("zoo/g/a2".to_owned(), "Agent", 1),
            ("zoo/g/c2".to_owned(), "Critic", 0),
            ("zoo/h".to_owned(), "Graph", 0),
            ("zoo/h/a3".to_owned(), "Agent", 1),
            ("zoo/fixed-c".to_owned(), "Critic", 0),
            ("zoo/fixed-a".to_owned(), "Agent", 1),
        ]
    );
}

#[test]
fn remove_recursive_removes_everywhere_and_from_children_collections() {
    let mut p = pipeline();
    let noop = |_: &NodeRef<'_>, _: &u32| {};
    p.register_recursive::<Tick, _, _>("t", noop, Selector::all()).unwrap();
    p.register_recursive::<Tick, _, _>("keep", noop, Selector::named("a1")).unwrap();
    assert_eq!(p.remove_recursive::<Tick>("t"), 8);
    assert_eq!(p.remove_recursive::<Tick>("t"), 0, "nothing left to remove");
    assert_eq!(p.remove_recursive::<Before<Forward>>("keep"), 0, "another hook type");
    assert_eq!(
        tree_hooks(&p),
        named_hooks(&[
            ("p", &[]),
            ("p/planner", &[]),
            ("p/g1", &[]),
            ("p/g1/a1", &["keep"]),
            ("p/g1/a2", &[]),
            ("p/g1/c1", &[]),
            ("p/Unnamed", &[]),
            ("p/left", &[]),
            ("p/right", &[]),
        ])
    );
    // The removed registration is forgotten by the `Children` collections; the other is kept.
    let landing = p.graphs.push(graph("g2", &["a1", "z"], &[]));
    assert_eq!(landing.attached(), ["p/g2/a1"]);
    assert_eq!(landing.nodes.len(), 3, "one rule: g2, g2/a1, g2/z");
}

#[test]
fn hook_tree_lists_every_node_with_static_and_attached_hooks() {
    let mut p = pipeline();
    p.register_recursive::<Tick, _, _>("t", |_: &NodeRef<'_>, _: &u32| {}, Selector::of_type::<Critic>()).unwrap();
    p.planner.attach_hook::<Tick>("direct", |_: &mut Agent, _: &u32| {}, ()).unwrap();
    let tree = p.hook_tree();
    let listed: Vec<_> = tree.iter().map(|n| format!("{} {}", n.path, n.type_name)).collect();
    assert_eq!(
        listed,
        [
            "p Pipeline",
            "p/planner Agent",
            "p/g1 Graph",
            "p/g1/a1 Agent",
            "p/g1/a2 Agent",
            "p/g1/c1 Critic",
            "p/Unnamed Unnamed",
            "p/left Critic",
            "p/right Critic",
        ]
    );
    assert_eq!((tree[3].path.name(), tree[3].path.depth()), ("a1", 3), "a path knows its last name and depth");
    assert_eq!(tree[3].path.parent(), Some(&tree[2].path));
    assert_eq!(
        tree_hooks(&p),
        named_hooks(&[
            ("p", &[]),
            ("p/planner", &["direct"]),
            ("p/g1", &[]),
            ("p/g1/a1", &[]),
            ("p/g1/a2", &[]),
            ("p/g1/c1", &["t"]),
            ("p/Unnamed", &[]),
            ("p/left", &["t"]),
            ("p/right", &["t"]),
        ])
    );
    let c1 = &tree[5].hooks[0];
    assert_eq!((c1.owner, c1.hook_type, c1.attached), ("Critic", "Tick", true));
}

#[test]
fn a_panicking_predicate_selects_nothing_and_does_not_escape() {
    let mut g = graph("g", &["a1", "a2"], &["c1"]);
    let noop = |_: &NodeRef<'_>, _: &u32| {};
    let landing = g
        .register_recursive::<Tick, _, _>(
            "t",
            noop,
            Selector::when(|n| if n.name() == "a2" { panic!("cannot judge {}", n.path()) } else { true }),
        )
        .unwrap();
    assert_eq!(
        outcomes(&landing),
        rows(&[
            ("g", "Graph", "not provided"),
            ("g/a1", "Agent", "attached"),
            ("g/a2", "Agent", "not selected"),
            ("g/c1", "Critic", "attached"),
        ])
    );
    let landing = g.register_recursive::<Tick, _, _>("u", noop, Selector::when(|_| panic!("always"))).unwrap();
    assert!(landing.attached().is_empty());
    assert!(landing.nodes.iter().all(|n| matches!(n.outcome, Placement::NotSelected)));
}

#[test]
fn bad_selectors_are_refused_and_nothing_is_attached() {
    let mut g = graph("g", &["a1"], &["c1"]);
    let noop = |_: &NodeRef<'_>, _: &(String, u32)| {};

    let e = g.register_recursive::<Before<Forward>, _, _>("t", noop, Selector::of_type::<Critic>()).unwrap_err();
    assert!(
        matches!(&e, HookError::Unsupported { owner: "Critic", method, hook_type: "Forward.BEFORE" } if method == "t"),
        "{e:?}"
    );
    let e = g
        .register_recursive::<Before<Forward>, _, _>("t", noop, Selector::all().and(Selector::of_type::<Critic>()))
        .unwrap_err();
    assert!(matches!(&e, HookError::Unsupported { owner: "Critic", .. }), "{e:?}");

    let e =
        g.register_recursive::<Before<Forward>, _, _>("t", noop, Selector::names(Vec::<String>::new())).unwrap_err();
    assert!(
        matches!(&e, HookError::BadSelector { owner: "Graph", method, hook_type: "Forward.BEFORE", .. } if method == "t"),
        "{e:?}"
    );
    assert_eq!(
        e.to_string(),
        "recursive hook `t` (Forward.BEFORE) on `Graph` was not registered: a name selector needs at least one non-empty name"
    );
    let e = g.register_recursive::<Before<Forward>, _, _>("t", noop, Selector::named("")).unwrap_err();
    assert!(matches!(e, HookError::BadSelector { .. }), "{e:?}");
    let e = g.register_recursive::<Before<Forward>, _, _>("t", noop, Selector::names(["a1", ""])).unwrap_err();
    assert!(matches!(e, HookError::BadSelector { .. }), "{e:?}");
    let e = g
        .register_recursive::<Before<Forward>, _, _>(
            "t",
            noop,
            Selector::of_type::<Agent>().and(Selector::names([""; 0])),
        )
        .unwrap_err();
    assert!(matches!(e, HookError::BadSelector { .. }), "{e:?}");

    assert_eq!(tree_hooks(&g), named_hooks(&[("g", &[]), ("g/a1", &[]), ("g/c1", &[])]));
    // Nor did the `Children` collection keep a refused registration.
    let landing = g.agents.push(agent("a2"));
    assert!(landing.nodes.is_empty(), "{landing:?}");
}

#[test]
fn a_recursive_observer_that_panics_is_caught_and_attributed() {
    let errors: Arc<Mutex<Vec<HookError>>> = Default::default();
    let e = errors.clone();
    let mut g = graph("g", &["a1", "a2"], &[]);
    g.register_recursive::<Before<Forward>, _, _>(
        HookSpec::new("fragile").on_error(move |err| e.lock().unwrap().push(err.clone())),
        |node: &NodeRef<'_>, args: &(String, u32)| {
            if node.name() == "a2" {
                panic!("{} cannot take {}", node.path(), args.0);
            }
        },
        Selector::all(),
    )
    .unwrap();
    let results: Vec<_> = g.agents.iter_mut().map(|a| a.forward("xyz", 2)).collect();
    assert_eq!(results, [Ok(6), Ok(6)], "the panic did not change the result");
    assert_eq!(g.agents.iter().map(|a| a.calls).collect::<Vec<_>>(), [1, 1]);
    let errors = errors.lock().unwrap();
    assert_eq!(errors.len(), 1);
    assert!(
        matches!(&errors[0], HookError::Panicked { owner: "Agent", method, hook_type: "Forward.BEFORE", message }
            if method == "fragile" && message == "g/a2 cannot take xyz"),
        "{:?}",
        errors[0]
    );
}

#[tokio::test]
async fn a_recursive_registration_takes_a_spec_priority() {
    let log = Log::default();
    let mut c = critic("c");
    let l = log.clone();
    c.attach_hook::<Tick>("direct", move |_: &mut Critic, _: &u32| l.lock().unwrap().push("direct".to_owned()), ())
        .unwrap();
    let landing = c
        .register_recursive::<Tick, _, _>(HookSpec::new("first").priority(-5), trace_tick(&log), Selector::all())
        .unwrap();
    assert_eq!(landing.attached(), ["c"], "the node it is called on, alone");
    c.run_hooks_with::<Tick>(&9).await.unwrap();
    assert_eq!(*log.lock().unwrap(), ["c 9", "direct"]);
    let order: Vec<_> = c.hooks::<Tick>().iter().map(|h| (h.method.to_string(), h.priority)).collect();
    assert_eq!(order, [("first".to_owned(), -5), ("direct".to_owned(), 0)]);
}
