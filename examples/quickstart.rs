//! A small service declared with attributes, its hooks run in order by hand.
//!
//! Run with `cargo run --example quickstart`.

use std::time::{Duration, Instant};

use hooks_runtime::prelude::*;

hook_type!(
    /// Fired with the number of jobs done so far.
    pub OnProgress(u32)
);

/// A base every service here embeds: opens and closes a connection.
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
        self.open = true;
        say("Connection", "connect (base hooks run first)");
        Ok(())
    }

    #[on_stop]
    fn disconnect(&mut self) {
        self.open = false;
        say("Connection", "disconnect (base hooks run last on stop)");
    }
}

/// The service: loads its jobs, reports progress, flushes on stop.
#[derive(Hooks, Default)]
struct Indexer {
    #[hooks(base)]
    connection: Connection,
    jobs: Vec<&'static str>,
    verbose: bool,
}

#[hooks]
impl Indexer {
    #[on_init]
    fn load(&mut self) {
        self.jobs = vec!["a.txt", "b.txt", "c.txt"];
        say("Indexer", &format!("load {} jobs", self.jobs.len()));
    }

    #[on_start]
    async fn warm_up(&mut self) {
        tokio::time::sleep(Duration::from_millis(50)).await;
        say("Indexer", "warm up");
    }

    #[background_task(interval = |this: &Self| if this.verbose { Duration::from_millis(100) } else { Duration::from_secs(1) })]
    async fn index_one(&mut self) -> Result<(), String> {
        let job = self.jobs.pop().ok_or("no job left")?;
        say("Indexer", &format!("index {job}"));
        Ok(())
    }

    #[hook(OnProgress, priority = -1)]
    fn progress(&mut self, done: &u32) {
        say("Indexer", &format!("progress: {done} done"));
    }

    #[on_state_change]
    fn changed(&mut self, old: LifecycleState, new: LifecycleState) {
        say("Indexer", &format!("state {old:?} -> {new:?}"));
    }

    #[on_stop]
    async fn flush(&mut self, reason: &StopReason) {
        say("Indexer", &format!("flush ({reason:?})"));
    }
}

fn say(who: &str, what: &str) {
    static START: std::sync::OnceLock<Instant> = std::sync::OnceLock::new();
    let t = START.get_or_init(Instant::now).elapsed();
    println!("{:>6.1} ms  {who:<10} {what}", t.as_secs_f64() * 1000.0);
}

#[tokio::main]
async fn main() -> Result<(), MultiError> {
    let mut indexer = Indexer { verbose: true, ..Indexer::default() };

    println!("hooks of Indexer, in run order:");
    for h in indexer.hook_infos() {
        println!("  {:<15} {}::{} params={:?}", h.hook_type, h.owner, h.method, h.params);
    }
    println!();

    let transition = |old, new| StateChange { old, new };
    indexer.run_hooks_with::<OnStateChange>(&transition(LifecycleState::Created, LifecycleState::Initializing)).await?;
    indexer.run_hooks::<OnInit>().await?;
    indexer.run_hooks::<OnStart>().await?;

    // The background task's interval is resolved against this instance (`verbose` is set).
    let spec = *indexer.hooks::<BackgroundTask>()[0].params[0].downcast_ref::<TaskSpec>().expect("a TaskSpec");
    let every = spec.interval.unwrap_or_default();
    let mut done = 0;
    while indexer.run_hooks::<BackgroundTask>().await.is_ok() {
        done += 1;
        indexer.run_hooks_with::<OnProgress>(&done).await?;
        tokio::time::sleep(every).await;
    }
    say("main", "no job left: the background task reported an error, stopping");

    indexer.run_hooks_reversed_with::<OnStop>(&StopReason::Requested).await?;
    assert!(!indexer.connection.open);
    Ok(())
}
