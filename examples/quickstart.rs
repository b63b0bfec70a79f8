//! A small service declared with attributes and run by the runtime: init, start, a background task,
//! a custom progress hook, a state-change logger, then a clean stop. Ends by itself in about 2 s.
//!
//! Run with `cargo run --example quickstart`; add `-- --timeline run.svg` to draw the run (and
//! write `run.json`, a Chrome trace) with `hooks_runtime::Timeline`.

use std::time::{Duration, Instant};

use hooks_runtime::prelude::*;
use hooks_runtime::Timeline;

#[path = "support/timeline_cli.rs"]
mod timeline_cli;
use timeline_cli::{init_tracing, timeline_path, write_timeline};

hook_type!(
    /// Fired with the number of documents indexed so far.
    pub OnProgress(u32)
);

/// A base the service embeds: its hooks run first on start and last on stop.
#[derive(Hooks, Default)]
#[provides_hooks(OnProgress)]
struct Connection {
    #[hooks(base)]
    service: Service,
    open: bool,
}

#[hooks]
impl Connection {
    #[on_init]
    async fn connect(&mut self) -> Result<(), std::io::Error> {
        tokio::time::sleep(Duration::from_millis(20)).await;
        self.open = true;
        say("Connection", "connect (a base: runs first)");
        Ok(())
    }

    #[on_stop]
    fn disconnect(&mut self) {
        self.open = false;
        say("Connection", "disconnect (a base: runs last on stop)");
    }
}

/// The service: indexes one document per tick, then asks to stop.
#[derive(Hooks, Default)]
struct Indexer {
    #[hooks(base)]
    connection: Connection,
    queue: Vec<&'static str>,
    done: u32,
    fast: bool,
}

#[hooks]
impl Indexer {
    #[on_state_change]
    fn log_transition(&mut self, old: LifecycleState, new: LifecycleState) {
        say("Indexer", &format!("state {old:?} -> {new:?}"));
    }

    #[on_init]
    fn load(&mut self) {
        self.queue = vec!["d.txt", "c.txt", "b.txt", "a.txt"];
        say("Indexer", &format!("load {} documents", self.queue.len()));
    }

    #[on_start]
    async fn warm_up(&mut self) {
        tokio::time::sleep(Duration::from_millis(50)).await;
        say("Indexer", "warm up");
    }

    // The interval is resolved against the instance when the task starts.
    #[background_task(interval = |this: &Self| Duration::from_millis(if this.fast { 300 } else { 1000 }))]
    async fn index_next(&mut self) -> Result<(), MultiError> {
        let Some(doc) = self.queue.pop() else {
            say("Indexer", "queue empty: requesting stop");
            if let Some(ctx) = Context::current() {
                ctx.request_stop();
            }
            return Ok(());
        };
        self.done += 1;
        say("Indexer", &format!("index {doc}"));
        let done = self.done;
        self.run_hooks_with::<OnProgress>(&done).await
    }

    #[hook(OnProgress)]
    fn progress(&mut self, done: &u32) {
        say("Indexer", &format!("  progress: {done} indexed"));
    }

    #[on_stop]
    async fn flush(&mut self, reason: &StopReason) {
        say("Indexer", &format!("flush {} documents ({reason:?})", self.done));
    }
}

fn say(who: &str, what: &str) {
    static START: std::sync::OnceLock<Instant> = std::sync::OnceLock::new();
    let t = START.get_or_init(Instant::now).elapsed();
    println!("{:>7.1} ms  {who:<10} {what}", t.as_secs_f64() * 1000.0);
}

/// Prints the hooks of type `H` in the order they run (`on_stop`: reversed).
fn list<H: HookType>(indexer: &Indexer, note: &str) {
    let mut hooks = indexer.hooks::<H>();
    if note.contains("reverse") {
        hooks.reverse();
    }
    for h in hooks {
        let params = h.params.iter().map(|p| format!(" {p:?}")).collect::<String>();
        println!("  {:<15} {}::{}{params}{note}", h.hook_type, h.owner, h.method);
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    // `RUST_LOG=debug` shows each hook run with its component, duration and failures;
    // `--timeline run.svg` draws them.
    let timeline_path = timeline_path()?;
    let timeline = timeline_path.as_ref().map(|_| Timeline::new());
    init_tracing(timeline.as_ref());
    let indexer = Indexer { fast: true, ..Indexer::default() };
    println!("Indexer's hooks, in the order they run:");
    list::<OnInit>(&indexer, "");
    list::<OnStart>(&indexer, "");
    list::<BackgroundTask>(&indexer, "");
    list::<OnProgress>(&indexer, "");
    list::<OnStop>(&indexer, "  (stop runs the exact reverse)");
    list::<OnStateChange>(&indexer, "  (on every transition)");
    println!();

    let runtime = Runtime::new();
    if let Some(timeline) = &timeline {
        timeline.observe(&runtime);
    }
    let handle = runtime.spawn(indexer);
    say("main", "start");
    handle.start().await?;
    say("main", "running; waiting for the indexer to stop itself");
    handle.wait_stopped().await;
    let indexer = handle.stop().await?;
    say("main", &format!("handed back: {} indexed, connection open: {}", indexer.done, indexer.connection.open));
    if let (Some(timeline), Some(path)) = (&timeline, &timeline_path) {
        write_timeline(timeline, path)?;
    }
    Ok(())
}
