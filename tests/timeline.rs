//! The timeline (feature `timeline`): what it records from a run of two components that exchange
//! a message, and that its SVG and Chrome trace show exactly that.

use hooks_runtime::prelude::*;
use hooks_runtime::timeline::Recording;
use hooks_runtime::Timeline;
use tracing_subscriber::layer::SubscriberExt as _;

#[derive(Hooks, Default)]
struct Ponger {
    #[hooks(base)]
    service: Service,
    #[hooks(base)]
    bus: MessageBusClient,
    pongs: u32,
}

#[hooks]
impl Ponger {
    #[on_start]
    fn open(&mut self) {}

    #[on_message("ping")]
    fn pong(&mut self, _ping: &Message) {
        self.pongs += 1;
    }

    #[on_stop]
    fn close(&mut self) {}
}

#[derive(Hooks, Default)]
struct Pinger {
    #[hooks(base)]
    service: Service,
}

#[hooks]
impl Pinger {
    #[on_init]
    fn prepare(&mut self) {}

    // Async: its span is made where it is awaited, not in `call_in_span`.
    #[on_start]
    async fn ping(&mut self) {
        if let Some(ctx) = Context::current() {
            ctx.publish(Message::signal("ping")).await;
        }
    }

    #[on_stop]
    fn close(&mut self) {}
}

/// Hook runs each component has in [`record`]: Ponger open, pong, close; Pinger prepare, ping, close.
const RUNS_PER_COMPONENT: usize = 3;
/// Created → Initializing → Initialized → Starting → Running, → Stopping → Stopped.
const TRANSITIONS_PER_COMPONENT: usize = 6;

/// Runs Ponger (spawned first) and Pinger, which pings it on start, under a timeline.
fn record() -> Recording {
    let timeline = Timeline::new();
    // Scoped to this thread and this test: the tasks run on it (current-thread runtime).
    let _guard = tracing::subscriber::set_default(tracing_subscriber::registry().with(timeline.layer()));
    let rt = tokio::runtime::Builder::new_current_thread().build().expect("a tokio runtime");
    rt.block_on(async {
        let runtime = Runtime::new();
        timeline.observe(&runtime);
        let ponger = runtime.spawn(Ponger::default());
        runtime.spawn(Pinger::default());
        runtime.start_all().await.expect("starts");
        // Sees every message accepted before it: the ping has been handled.
        assert_eq!(ponger.with(|p| p.pongs).await.expect("running"), 1);
        runtime.stop_all().await.expect("stops");
    });
    timeline.recording()
}

#[test]
fn the_timeline_records_hook_runs_transitions_and_messages_per_component() {
    let recording = record();
    let names: Vec<_> = recording.rows.iter().map(|r| (r.name.as_str(), r.id)).collect();
    assert_eq!(names, [("Ponger", Some(0)), ("Pinger", Some(1))]);
    let runs = |row| {
        let mut r: Vec<_> = recording.runs.iter().filter(|r| r.row == row).map(|r| r.method.as_str()).collect();
        r.sort_unstable();
        r
    };
    assert_eq!(runs(0), ["close", "open", "pong"]);
    assert_eq!(runs(1), ["close", "ping", "prepare"]);
    assert!(recording.runs.iter().all(|r| r.depth == 0 && r.start <= r.end));
    for row in 0..2 {
        let states: Vec<_> =
            recording.transitions.iter().filter(|t| t.row == row).map(|t| (t.old.as_str(), t.new.as_str())).collect();
        assert_eq!(states.len(), TRANSITIONS_PER_COMPONENT, "{states:?}");
        assert_eq!(states[0], ("Created", "Initializing"));
        assert_eq!(states[5], ("Stopping", "Stopped"));
    }
    let [message] = recording.messages.as_slice() else { panic!("one message: {:?}", recording.messages) };
    assert_eq!((message.kind.as_str(), message.from, message.to), ("ping", 1, 0));
    // Sent inside `ping`, handled by `pong` after it was received.
    let run = |method: &str| recording.runs.iter().find(|r| r.method == method).expect("ran");
    assert!(run("ping").start <= message.sent && message.sent <= run("ping").end);
    assert!(message.sent <= message.received && message.received <= run("pong").start);
}

#[test]
fn the_svg_has_a_row_per_component_a_bar_per_hook_run_and_an_arrow_per_message() {
    let recording = record();
    let svg = recording.to_svg();
    let doc = roxmltree::Document::parse(&svg).expect("the SVG is well-formed XML");
    let class = |n: &roxmltree::Node, c: &str| n.attribute("class") == Some(c);
    let rows: Vec<_> = doc.descendants().filter(|n| n.has_tag_name("g") && class(n, "row")).collect();
    let names: Vec<_> = rows.iter().filter_map(|r| r.attribute("data-name")).collect();
    assert_eq!(names, ["Ponger", "Pinger"], "one row per component, in spawn order");
    for row in &rows {
        let bars = row.descendants().filter(|n| n.has_tag_name("rect") && class(n, "run")).count();
        assert_eq!(bars, RUNS_PER_COMPONENT, "one bar per hook run in {:?}", row.attribute("data-name"));
        let ticks = row.descendants().filter(|n| class(n, "transition")).count();
        assert_eq!(ticks, TRANSITIONS_PER_COMPONENT);
    }
    let bars = doc.descendants().filter(|n| class(n, "run")).count();
    assert_eq!(bars, recording.runs.len(), "bars only inside rows");
    let arrows = doc.descendants().filter(|n| class(n, "message")).count();
    assert_eq!(arrows, 1);
    let hook_types: Vec<_> =
        doc.descendants().filter(|n| class(n, "run")).filter_map(|n| n.attribute("data-hook-type")).collect();
    assert_eq!(hook_types.iter().filter(|t| **t == "OnStart").count(), 2);
    assert_eq!(hook_types.iter().filter(|t| **t == "OnMessage").count(), 1);
}

#[test]
fn the_chrome_trace_has_a_thread_per_component_a_slice_per_hook_run_and_a_flow_per_message() {
    let recording = record();
    let trace: serde_json::Value = serde_json::from_str(&recording.to_chrome_trace()).expect("valid JSON");
    let events = trace["traceEvents"].as_array().expect("traceEvents");
    let with = |ph: &'static str| events.iter().filter(move |e| e["ph"] == ph);
    let threads: Vec<_> = with("M")
        .filter(|e| e["name"] == "thread_name")
        .map(|e| (e["tid"].as_u64(), e["args"]["name"].as_str()))
        .collect();
    assert_eq!(threads, [(Some(1), Some("Ponger #0")), (Some(2), Some("Pinger #1"))]);
    assert_eq!(with("X").count(), 2 * RUNS_PER_COMPONENT);
    let pong = with("X").find(|e| e["name"] == "Ponger::pong").expect("the handler's slice");
    assert_eq!((pong["cat"].as_str(), pong["tid"].as_u64()), (Some("OnMessage"), Some(1)));
    assert!(with("X").all(|e| e["dur"].as_f64().is_some_and(|d| d >= 0.0)));
    assert_eq!(with("i").count(), 2 * TRANSITIONS_PER_COMPONENT);
    let flow: Vec<_> = events
        .iter()
        .filter(|e| e["cat"] == "message")
        .map(|e| (e["ph"].as_str(), e["tid"].as_u64(), e["name"].as_str()))
        .collect();
    assert_eq!(flow, [(Some("s"), Some(2), Some("ping")), (Some("f"), Some(1), Some("ping"))]);
}
