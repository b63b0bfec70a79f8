//! The stage-hooks seed: a graph of agents and tools (with a nested sub-graph) whose nodes share a
//! `Forward` stage. Recursive registrations with `Selector::of_type::<Agent>()` trace BEFORE and
//! AFTER of `Forward` on the agents only, an agent added later is traced too, and a runtime
//! observer prints the SEND/RECEIVE edge events of three components passing messages along.
//! Ends by itself at once.
//!
//! Run with `cargo run --example graph_trace`.

use hooks_runtime::prelude::*;
use hooks_runtime::{Landing, MessageEvent, Placement, Returned};

// ---------------------------------------------------------------------------------------------
// A tree of components sharing a stage

/// Why a node's forward failed.
#[derive(Debug)]
struct NodeError(String);

impl std::fmt::Display for NodeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for NodeError {}

impl From<Vetoed> for NodeError {
    fn from(veto: Vetoed) -> Self {
        NodeError(veto.to_string())
    }
}

stage!(
    /// A node's core computation: text in, text out.
    Forward(String) -> Result<String, NodeError>
);

/// An agent: rewrites its input in its own voice.
#[derive(Hooks, Default)]
#[provides_hooks(Forward)]
struct Agent {
    #[hooks(name)]
    name: String,
    attached: AttachedHooks,
}

#[hooks]
impl Agent {
    #[stage(Forward)]
    fn forward(&mut self, input: &str) -> Result<String, NodeError> {
        Ok(format!("{}({input})", self.name))
    }
}

/// A tool: looks something up (here: counts the words).
#[derive(Hooks, Default)]
#[provides_hooks(Forward)]
struct Tool {
    #[hooks(name)]
    name: String,
    attached: AttachedHooks,
}

#[hooks]
impl Tool {
    #[stage(Forward)]
    fn forward(&mut self, input: &str) -> Result<String, NodeError> {
        Ok(format!("{}[{} words]", self.name, input.split_whitespace().count()))
    }
}

/// A graph: its tools, then its agents in order, then its sub-graphs, each fed the previous output.
#[derive(Hooks, Default)]
#[provides_hooks(Forward)]
struct Graph {
    #[hooks(name)]
    name: String,
    attached: AttachedHooks,
    #[hooks(children)]
    tools: Children<Tool>,
    #[hooks(children)]
    agents: Children<Agent>,
    #[hooks(children)]
    subgraphs: Children<Graph>,
}

#[hooks]
impl Graph {
    #[stage(Forward)]
    fn forward(&mut self, input: &str) -> Result<String, NodeError> {
        let mut text = input.to_owned();
        for tool in self.tools.iter_mut() {
            text = format!("{text} {}", tool.forward(&text)?);
        }
        for agent in self.agents.iter_mut() {
            text = agent.forward(&text)?;
        }
        for graph in self.subgraphs.iter_mut() {
            text = graph.forward(&text)?;
        }
        Ok(text)
    }
}

fn graph(name: &str, tools: &[&str], agents: &[&str], subgraphs: Vec<Graph>) -> Graph {
    Graph {
        name: name.to_owned(),
        tools: tools.iter().map(|&name| Tool { name: name.to_owned(), ..Tool::default() }).collect(),
        agents: agents.iter().map(|&name| Agent { name: name.to_owned(), ..Agent::default() }).collect(),
        subgraphs: subgraphs.into_iter().collect(),
        ..Graph::default()
    }
}

/// Prints where a registration landed: one line per node (a pushed child that inherits several
/// registrations has one entry per registration in its `Landing`: they are counted).
fn print_landing(what: &str, landing: &Landing) {
    println!("{what}:");
    let mut rows: Vec<(String, &str, String, usize)> = Vec::new();
    for node in &landing.nodes {
        let outcome = match &node.outcome {
            Placement::Attached => "attached".to_owned(),
            Placement::NotSelected => "not selected".to_owned(),
            other => format!("{other:?}"),
        };
        match rows.iter_mut().find(|(path, _, o, _)| node.path == *path && *o == outcome) {
            Some(row) => row.3 += 1,
            None => rows.push((node.path.to_string(), node.type_name, outcome, 1)),
        }
    }
    for (path, type_name, outcome, count) in rows {
        let times = if count > 1 { format!(" ({count} registrations)") } else { String::new() };
        println!("  {path:<30} {type_name:<6} {outcome}{times}");
    }
}

fn trace_tree() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let review = graph("review", &[], &["critic"], vec![]);
    let mut root = graph("research", &["search"], &["planner", "writer"], vec![review]);

    // One registration per event; the selector keeps them to agents (tools and graphs are walked,
    // not touched).
    let agents = || Selector::of_type::<Agent>();
    let landing = root.register_recursive::<Before<Forward>, _, _>(
        "trace",
        |node: &NodeRef<'_>, (input,): &(String,)| println!("  BEFORE {:<30} {input:?}", node.path()),
        agents(),
    )?;
    root.register_recursive::<After<Forward>, _, _>(
        "trace",
        |node: &NodeRef<'_>, r: &Returned<Forward>| println!("  AFTER  {:<30} -> {:?}", node.path(), r.output),
        agents(),
    )?;
    print_landing("trace (Before<Forward>, same for After<Forward>)", &landing);

    // A child added later through `Children::push` gets the registrations made through its parent.
    // (`Children` has no `get_mut`: `iter_mut` is the way to one child.)
    if let Some(review) = root.subgraphs.iter_mut().next() {
        let landing = review.agents.push(Agent { name: "fact-checker".to_owned(), ..Agent::default() });
        print_landing(&format!("agent pushed into `{}` later", review.name), &landing);
    }

    println!("forward:");
    let output = root.forward("why is the sky blue")?;
    println!("output: {output}");
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// SEND/RECEIVE edges between runtime components

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Topic {
    Question,
    Notes,
    Draft,
}

/// Takes a question, asks for notes; the draft that comes back ends the run.
#[derive(Hooks, Default)]
struct Planner {
    #[hooks(base)]
    service: Service,
    #[hooks(base)]
    bus: MessageBusClient,
}

#[hooks]
impl Planner {
    #[on_message(Topic::Question)]
    async fn plan(&mut self, question: &String) {
        if let Some(ctx) = Context::current() {
            ctx.publish(Message::new(Topic::Notes, format!("notes on {question}"))).await;
        }
    }

    #[on_message(Topic::Draft)]
    fn done(&mut self, draft: &String) {
        println!("  planner got the draft: {draft:?}");
        if let Some(ctx) = Context::current() {
            ctx.request_stop();
        }
    }
}

/// Turns notes into a draft.
#[derive(Hooks, Default)]
struct Writer {
    #[hooks(base)]
    service: Service,
    #[hooks(base)]
    bus: MessageBusClient,
}

#[hooks]
impl Writer {
    #[on_message(Topic::Notes)]
    async fn write(&mut self, notes: &String) {
        if let Some(ctx) = Context::current() {
            ctx.publish(Message::new(Topic::Draft, format!("draft from {notes}"))).await;
        }
    }
}

/// Counts the drafts (a second subscriber of `Draft`: one send edge per receiver).
#[derive(Hooks, Default)]
struct Archive {
    #[hooks(base)]
    service: Service,
    #[hooks(base)]
    bus: MessageBusClient,
    drafts: u32,
}

#[hooks]
impl Archive {
    #[on_message(Topic::Draft)]
    fn keep(&mut self, _draft: &String) {
        self.drafts += 1;
    }
}

async fn trace_edges() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let runtime = Runtime::new();
    runtime.observe(|event| match event {
        MessageEvent::Sent { to, kind, from, .. } => {
            let from = from.as_deref().unwrap_or("runtime");
            println!("  SEND    {:<9} {from} -> {to}", format!("{kind:?}"))
        }
        MessageEvent::Received { by, kind, .. } => println!("  RECEIVE {:<9} by {by}", format!("{kind:?}")),
        _ => {}
    });
    let planner = runtime.spawn(Planner::default());
    runtime.spawn(Writer::default());
    let archive = runtime.spawn(Archive::default());
    runtime.start_all().await?;
    println!("edges:");
    runtime.publish(Message::new(Topic::Question, "why is the sky blue".to_owned())).await;
    planner.wait_stopped().await;
    // Stopping a component first handles every message it accepted.
    let archive = archive.stop().await?;
    runtime.stop_all().await?;
    println!("archived drafts: {}", archive.drafts);
    Ok(())
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    // `RUST_LOG=debug` shows each hook run with its component, duration and failures.
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_span_events(tracing_subscriber::fmt::format::FmtSpan::CLOSE)
        .init();
    trace_tree()?;
    println!();
    trace_edges().await
}
