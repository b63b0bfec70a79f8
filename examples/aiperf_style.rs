//! The AIPerf shape: a controller, a worker manager and N workers exchanging status, heartbeat and
//! command messages over the in-process bus, with background heartbeats, custom progress hooks
//! (`hook_type!`) and a clean stop in reverse start order. Ends by itself in about a second.
//!
//! Run with `cargo run --example aiperf_style`; add `-- --timeline run.svg` to draw the run (and
//! write `run.json`, a Chrome trace) with `hooks_runtime::Timeline`.

use std::collections::BTreeMap;
use std::time::Instant;

use hooks_runtime::prelude::*;
use hooks_runtime::Timeline;

#[path = "support/timeline_cli.rs"]
mod timeline_cli;
use timeline_cli::{init_tracing, timeline_path, write_timeline};

/// The message types of this system.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum MessageType {
    Status,
    Heartbeat,
    ProfileProgress,
}

/// The commands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Command {
    ProfileStart,
    Summary,
}

#[derive(Debug, Clone)]
struct WorkerStatus {
    worker: u32,
    completed: u32,
}

#[derive(Debug, Clone, Copy)]
struct Progress {
    completed: u32,
    total: u32,
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
    #[on_command(Command::ProfileStart)]
    fn profile_start(&mut self, _cmd: &Message) -> Result<u32, std::io::Error> {
        self.profiling = true;
        Ok(self.id)
    }

    #[background_task(interval = "100ms")]
    async fn work(&mut self) {
        if !self.profiling {
            return;
        }
        self.completed += 1 + self.id % 2;
        let status = WorkerStatus { worker: self.id, completed: self.completed };
        if let Some(ctx) = Context::current() {
            ctx.publish(Message::new(MessageType::Status, status)).await;
        }
    }

    #[background_task(interval = "250ms", immediate = false)]
    async fn heartbeat(&mut self) {
        if let Some(ctx) = Context::current() {
            ctx.publish(Message::new(MessageType::Heartbeat, self.id)).await;
        }
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
    total: u32,
    debug: bool,
}

#[hooks]
impl WorkerManager {
    #[on_message(MessageType::Status)]
    async fn track(&mut self, status: &WorkerStatus) -> Result<(), MultiError> {
        self.workers.insert(status.worker, status.clone());
        self.run_hooks_with::<OnWorkerUpdate>(status).await?;
        let completed = self.workers.values().map(|w| w.completed).sum();
        self.run_hooks_with::<OnProfilingProgress>(&Progress { completed, total: self.total }).await
    }

    #[on_message(MessageType::Heartbeat)]
    fn heartbeat(&mut self, _worker: &u32) {
        self.heartbeats += 1;
    }

    // Resolved per instance when the manager starts: only a debugging manager listens to progress.
    #[on_message(|this: &Self| if this.debug { vec![MessageType::ProfileProgress] } else { vec![] })]
    fn debug_progress(&mut self, _msg: &Message) {}

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
                ctx.publish(Message::new(MessageType::ProfileProgress, *progress)).await;
            }
        }
    }

    #[on_command(Command::Summary)]
    fn summary(&mut self, _cmd: &Message) -> Result<(u32, u32), std::io::Error> {
        let completed = self.workers.values().map(|w| w.completed).sum();
        Ok((completed, self.heartbeats))
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
    #[on_message(MessageType::ProfileProgress)]
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
        if let hooks_runtime::MessageEvent::Sent { to, kind, .. } = event {
            if kind.downcast_ref::<Command>().is_some() {
                say("bus", format!("command {kind:?} -> {to}"));
            }
        }
    });
    let controller = runtime.spawn(Controller::default());
    let manager = runtime.spawn(WorkerManager { total: 40, ..WorkerManager::default() });
    let workers: Vec<_> = (0..WORKERS)
        .map(|id| runtime.spawn_named(format!("worker-{id}"), Worker { id, ..Worker::default() }))
        .collect();
    runtime.start_all().await?;
    say("main", format!("{} components running", runtime.components().len()));

    for w in &workers {
        let id = w.command(Message::signal(Command::ProfileStart)).await?;
        say("main", format!("worker-{} profiling", id.downcast::<u32>().unwrap_or_default()));
    }

    controller.wait_stopped().await;
    let summary = manager.command(Message::signal(Command::Summary)).await?;
    if let Ok((completed, heartbeats)) = summary.downcast::<(u32, u32)>() {
        say("main", format!("summary: {completed} requests, {heartbeats} heartbeats"));
    }
    runtime.stop_all().await?;
    say("main", "every component stopped, in reverse start order".to_owned());
    if let (Some(timeline), Some(path)) = (&timeline, &timeline_path) {
        write_timeline(timeline, path)?;
    }
    Ok(())
}
