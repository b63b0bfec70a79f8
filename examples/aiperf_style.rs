//! The AIPerf shape: a controller, a worker manager and N workers exchanging status, heartbeat and
//! command messages over the in-process bus, with background heartbeats, custom progress hooks
//! (`hook_type!`) and a clean stop in reverse start order. Ends by itself in about a second.
//!
//! The messages are contracts (`#[derive(Message)]`): routed by type, their handlers and replies
//! checked at compile time (`manager.command(GetSummary).await?` is a `Summary`). One dynamic
//! topic stays, for what is known only at run time: the manager's debug topics, read from
//! `AIPERF_DEBUG_TOPICS` (default `manager.debug`).
//!
//! Run with `cargo run --example aiperf_style`; add `-- --timeline run.svg` to draw the run (and
//! write `run.json`, a Chrome trace) with `hooks_runtime::Timeline`.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Instant;

use hooks_runtime::prelude::*;
use hooks_runtime::Timeline;

#[path = "support/timeline_cli.rs"]
mod timeline_cli;
use timeline_cli::{init_tracing, timeline_path, write_timeline};

/// A worker's progress, published by the worker.
#[derive(Message, Debug, Clone)]
struct WorkerStatus {
    worker: u32,
    completed: u32,
}

/// A worker is alive.
#[derive(Message, Debug)]
struct Heartbeat {
    worker: u32,
}

/// Overall profiling progress: a hook argument, and published once the target is reached.
#[derive(Message, Debug, Clone, Copy)]
struct Progress {
    completed: u32,
    total: u32,
}

/// Starts profiling on a worker; the reply is the worker's id.
#[derive(Message, Debug)]
#[message(reply = u32, name = "profile.start")]
struct ProfileStart;

/// Asks the manager for a summary.
#[derive(Message, Debug)]
#[message(reply = Summary)]
struct GetSummary;

#[derive(Debug)]
struct Summary {
    completed: u32,
    heartbeats: u32,
}

hook_type!(
    /// The worker manager's view of one worker changed.
    OnWorkerUpdate(WorkerStatus)
);
hook_type!(
    /// Overall profiling progress.
    OnProfilingProgress(Progress)
);

fn say(who: &str, what: String) {
    static START: std::sync::OnceLock<Instant> = std::sync::OnceLock::new();
    let t = START.get_or_init(Instant::now).elapsed();
    println!("{:>6.0} ms  {who:<15} {what}", t.as_secs_f64() * 1000.0);
}

/// A worker: does requests when profiling, reports status, sends heartbeats.
#[derive(Hooks, Default)]
struct Worker {
    #[hooks(base)]
    service: Service,
    #[hooks(base)]
    commands: CommandHandler,
    id: u32,
    profiling: bool,
    completed: u32,
}

#[hooks]
impl Worker {
    #[on_command]
    fn profile_start(&mut self, _: &ProfileStart) -> u32 {
        self.profiling = true;
        self.id
    }

    #[background_task(interval = "100ms")]
    async fn work(&mut self) {
        if !self.profiling {
            return;
        }
        self.completed += 1 + self.id % 2;
        let status = WorkerStatus { worker: self.id, completed: self.completed };
        if let Some(ctx) = Context::current() {
            ctx.publish(status).await;
        }
    }

    #[background_task(interval = "250ms", immediate = false)]
    async fn heartbeat(&mut self, ctx: &Context) {
        ctx.publish(Heartbeat { worker: self.id }).await;
    }

    #[on_stop]
    fn stop(&mut self) {
        say(&format!("worker-{}", self.id), format!("stopped after {} requests", self.completed));
    }
}

/// Tracks every worker; fires the custom progress hooks.
#[derive(Hooks, Default)]
#[provides_hooks(OnWorkerUpdate, OnProfilingProgress)]
struct WorkerManager {
    #[hooks(base)]
    service: Service,
    #[hooks(base)]
    bus: MessageBusClient,
    #[hooks(base)]
    commands: CommandHandler,
    workers: BTreeMap<u32, WorkerStatus>,
    heartbeats: u32,
    alive: BTreeSet<u32>,
    total: u32,
    /// Dynamic topics, known only at run time.
    debug_topics: Vec<String>,
}

#[hooks]
impl WorkerManager {
    #[on_message]
    async fn track(&mut self, status: &WorkerStatus) -> Result<(), MultiError> {
        self.workers.insert(status.worker, status.clone());
        self.run_hooks_with::<OnWorkerUpdate>(status).await?;
        let completed = self.workers.values().map(|w| w.completed).sum();
        self.run_hooks_with::<OnProfilingProgress>(&Progress { completed, total: self.total }).await
    }

    #[on_message]
    fn heartbeat(&mut self, beat: &Heartbeat) {
        self.heartbeats += 1;
        if self.alive.insert(beat.worker) {
            say("WorkerManager", format!("worker-{} alive", beat.worker));
        }
    }

    // Dynamic topics, resolved per instance when the manager starts: untyped messages.
    #[on_message(|this: &Self| this.debug_topics.clone())]
    fn debug(&mut self, msg: &Message) {
        let topic = msg.kind::<String>().map_or("?", String::as_str);
        say("WorkerManager", format!("[{topic}] {}", msg.payload::<String>().map_or("", String::as_str)));
    }

    #[hook(OnWorkerUpdate)]
    fn log_worker(&mut self, status: &WorkerStatus) {
        if status.completed % 4 == 0 {
            say("WorkerManager", format!("worker-{} at {} requests", status.worker, status.completed));
        }
    }

    #[hook(OnProfilingProgress)]
    async fn announce(&mut self, progress: &Progress) {
        if progress.completed >= progress.total {
            if let Some(ctx) = Context::current() {
                ctx.publish(*progress).await;
            }
        }
    }

    #[on_command]
    fn summary(&mut self, _: &GetSummary) -> Summary {
        Summary { completed: self.workers.values().map(|w| w.completed).sum(), heartbeats: self.heartbeats }
    }
}

/// Starts profiling, waits for the target, asks for a summary, stops everything.
#[derive(Hooks, Default)]
struct Controller {
    #[hooks(base)]
    service: Service,
    #[hooks(base)]
    bus: MessageBusClient,
    done: bool,
}

#[hooks]
impl Controller {
    #[on_message]
    fn progress(&mut self, progress: &Progress) {
        if !self.done {
            self.done = true;
            say("Controller", format!("target reached: {}/{} requests", progress.completed, progress.total));
            if let Some(ctx) = Context::current() {
                ctx.request_stop();
            }
        }
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    // `RUST_LOG=debug` shows each hook run with its component, duration and failures;
    // `--timeline run.svg` draws them.
    let timeline_path = timeline_path()?;
    let timeline = timeline_path.as_ref().map(|_| Timeline::new());
    init_tracing(timeline.as_ref());
    const WORKERS: u32 = 4;
    let runtime = Runtime::new();
    if let Some(timeline) = &timeline {
        timeline.observe(&runtime);
    }
    runtime.observe(|event| {
        if let hooks_runtime::MessageEvent::Sent { to, kind, message, .. } = event {
            if message.is::<ProfileStart>() || message.is::<GetSummary>() {
                say("bus", format!("command {kind:?} -> {to}"));
            }
        }
    });
    let debug_topics = std::env::var("AIPERF_DEBUG_TOPICS").unwrap_or_else(|_| "manager.debug".to_owned());
    let debug_topics: Vec<String> = debug_topics.split(',').map(str::to_owned).collect();
    let controller = runtime.spawn(Controller::default());
    let manager = runtime.spawn(WorkerManager { total: 40, debug_topics, ..WorkerManager::default() });
    let workers: Vec<_> = (0..WORKERS)
        .map(|id| runtime.spawn_named(format!("worker-{id}"), Worker { id, ..Worker::default() }))
        .collect();
    runtime.start_all().await?;
    say("main", format!("{} components running", runtime.components().len()));

    // An untyped message on a dynamic topic.
    runtime.publish(Message::new("manager.debug".to_owned(), "profiling starts".to_owned())).await;
    for w in &workers {
        let id: u32 = w.command(ProfileStart).await?;
        say("main", format!("worker-{id} profiling"));
    }

    controller.wait_stopped().await;
    let Summary { completed, heartbeats } = manager.command(GetSummary).await?;
    say("main", format!("summary: {completed} requests, {heartbeats} heartbeats"));
    runtime.stop_all().await?;
    say("main", "every component stopped, in reverse start order".to_owned());
    if let (Some(timeline), Some(path)) = (&timeline, &timeline_path) {
        write_timeline(timeline, path)?;
    }
    Ok(())
}
