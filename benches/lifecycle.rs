//! `lifecycle`: what a `Runtime` costs to start and stop a component, and per background-task tick,
//! against minimal hand-written tokio code doing the same work.
//!
//! - `start_stop`: 10,000 `Svc` components (one no-op `#[on_init]` `fn`, one `#[on_start]`
//!   `async fn`, one `#[on_stop]` `fn`) are spawned on a fresh `Runtime`, then each is `start()`ed,
//!   then each is `stop()`ped (handed back), awaited one after the other; the whole run divided by
//!   10,000 is the time per component. Baseline `actor`: per component, a `tokio::spawn`ed task owns
//!   the same struct and serves an `mpsc` channel (same capacity as the runtime's mailbox) of `Start`
//!   (calls the same `init` then `open` methods directly, replies on a `oneshot`) and `Stop` (calls
//!   `close`, hands the struct back on the `oneshot`); same spawn-all, start-all, stop-all order.
//!   Baseline `task` (issue #13's row "spawn + start + stop of one component", goal <= 2x): one bare
//!   tokio task per component, spawned with the struct, calling `init`, `open().await` and `close`
//!   and returning the struct; all spawned, then each `JoinHandle` awaited in order.
//! - `tick`: a `Ticker` with `#[background_task(interval = "1ms")]` counts its ticks and calls
//!   `Context::current().unwrap().request_stop()` at the 10,000th; the run is spawn, `start()`,
//!   `wait_stopped()`, `stop()`, divided by 10,000. Baseline `interval`: a spawned task looping on
//!   `tokio::time::interval(1ms)` (`MissedTickBehavior::Delay`) until its counter reaches 10,000.
//!   The clock is paused (`start_paused(true)`): it jumps to the next timer whenever the runtime is
//!   idle, so ticks come as fast as the CPU allows and the figure is pure overhead.
//!
//! Every case runs on a tokio `current_thread` runtime built once, outside the timing (a paused
//! clock needs `current_thread`); `start_stop` also runs on a 2-worker `multi_thread` runtime, with
//! its own baseline. One criterion iteration is one whole run (`block_on`), so criterion's estimate
//! divided by 10,000 is the time per component or per tick.
//!
//! After criterion, a table gives ns per component / per tick and the ratios to the baselines, then the
//! issue's goal against `task`, all from this run: each timed batch of criterion's `iter_custom` is recorded, and the estimate is
//! criterion's own (the slope of time over iterations across the measurement samples).
//!
//! Run with `cargo bench --bench lifecycle`.

mod support;

use std::hint::black_box;
use std::time::Duration;

use hooks_runtime::prelude::*;
use support::{current_thread, figure, multi_thread, quotient, ratio, Run};
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;
use tokio::time::MissedTickBehavior;

/// Components started and stopped per run.
const COMPONENTS: u64 = 10_000;
/// Background-task ticks per run.
const TICKS: u64 = 10_000;
/// The capacity of a component's mailbox in `hooks-runtime` (`runtime.rs`), used by the baseline too.
const MAILBOX: usize = 64;
/// The goal: spawn + start + stop of a component costs at most this many bare tokio tasks.
const GOAL: f64 = 2.0;

// ---------------------------------------------------------------------------------------------
// start + stop

#[derive(Hooks, Default)]
struct Svc {
    #[hooks(base)]
    service: Service,
    calls: u32,
}

#[hooks]
impl Svc {
    #[on_init]
    fn init(&mut self) {
        black_box(&mut self.calls);
    }

    #[on_start]
    async fn open(&mut self) {
        black_box(&mut self.calls);
    }

    #[on_stop]
    fn close(&mut self) {
        black_box(&mut self.calls);
    }
}

/// Spawn all, start all, stop all, on a `Runtime`.
async fn runtime_start_stop() {
    let runtime = Runtime::new();
    let handles: Vec<Handle<Svc>> = (0..COMPONENTS).map(|_| runtime.spawn(Svc::default())).collect();
    for handle in &handles {
        handle.start().await.expect("no-op start hooks succeed");
    }
    for handle in &handles {
        black_box(handle.stop().await.expect("no-op stop hook succeeds"));
    }
}

/// A command to the baseline's hand-written actor.
enum Command {
    Start(oneshot::Sender<()>),
    Stop(oneshot::Sender<Svc>),
}

/// The baseline: a task owning the component, serving its mailbox until `Stop`.
fn spawn_actor(mut svc: Svc) -> mpsc::Sender<Command> {
    let (tx, mut rx) = mpsc::channel(MAILBOX);
    tokio::spawn(async move {
        while let Some(command) = rx.recv().await {
            match command {
                Command::Start(reply) => {
                    svc.init();
                    svc.open().await;
                    let _ = reply.send(());
                }
                Command::Stop(reply) => {
                    svc.close();
                    let _ = reply.send(svc);
                    return;
                }
            }
        }
    });
    tx
}

/// Spawn all, start all, stop all, on hand-written actors.
async fn actor_start_stop() {
    let actors: Vec<mpsc::Sender<Command>> = (0..COMPONENTS).map(|_| spawn_actor(Svc::default())).collect();
    for actor in &actors {
        let (reply, rx) = oneshot::channel();
        actor.send(Command::Start(reply)).await.expect("actor alive");
        rx.await.expect("started");
    }
    for actor in &actors {
        let (reply, rx) = oneshot::channel();
        actor.send(Command::Stop(reply)).await.expect("actor alive");
        black_box(rx.await.expect("stopped"));
    }
}

/// The baseline: one bare tokio task per component, doing the component's work.
fn spawn_task(mut svc: Svc) -> JoinHandle<Svc> {
    tokio::spawn(async move {
        svc.init();
        svc.open().await;
        svc.close();
        svc
    })
}

/// Spawn all, then join each in order, on bare tokio tasks.
async fn task_start_stop() {
    let tasks: Vec<JoinHandle<Svc>> = (0..COMPONENTS).map(|_| spawn_task(Svc::default())).collect();
    for task in tasks {
        black_box(task.await.expect("no panic"));
    }
}

// ---------------------------------------------------------------------------------------------
// Background-task ticks

#[derive(Hooks, Default)]
struct Ticker {
    #[hooks(base)]
    service: Service,
    n: u64,
}

#[hooks]
impl Ticker {
    #[background_task(interval = "1ms")]
    fn tick(&mut self) {
        self.n += 1;
        if self.n == TICKS {
            Context::current().expect("run by a Runtime").request_stop();
        }
    }
}

/// `TICKS` ticks of a background task; the component stops itself at the last one.
async fn runtime_ticks() {
    let runtime = Runtime::new();
    let handle = runtime.spawn(Ticker::default());
    handle.start().await.expect("no start hooks");
    handle.wait_stopped().await;
    let ticker = handle.stop().await.expect("no stop hooks");
    assert_eq!(ticker.n, TICKS);
}

/// The baseline: `TICKS` ticks of a bare `tokio::time::interval` loop in a spawned task.
async fn interval_ticks() {
    let counter = tokio::spawn(async {
        let mut interval = tokio::time::interval(Duration::from_millis(1));
        interval.set_missed_tick_behavior(MissedTickBehavior::Delay);
        let mut n = 0u64;
        loop {
            interval.tick().await;
            n += 1;
            if n == TICKS {
                return n;
            }
        }
    });
    assert_eq!(counter.await.expect("no panic"), TICKS);
}

// ---------------------------------------------------------------------------------------------
// Measurement

const BENCH: &str = "lifecycle";
const START_STOP: &str = "start_stop";
const TICK: &str = "tick";
const CURRENT_THREAD: &str = "current_thread";
const MULTI_THREAD: &str = "multi_thread";
const RUNTIME: &str = "runtime";
const ACTOR: &str = "actor";
const TASK: &str = "task";
const INTERVAL: &str = "interval";

type Results = support::Results<Run>;

// ---------------------------------------------------------------------------------------------
// Report

fn print_table(results: &Results) {
    println!();
    println!(
        "lifecycle: ns per component (start_stop, x{COMPONENTS}) or per tick (tick, x{TICKS}, paused clock), \
         criterion slope estimate; ratio = variant / baseline (start_stop: actor and task, tick: interval), same run"
    );
    println!(
        "{:<11} {:<15} {:<9} {:>12} {:>10} {:>12} {:>8}",
        "case", "tokio", "variant", "ns/unit", "ms/run", "vs baseline", "vs task"
    );
    results.each(|s| {
        let ns = s.ns_per_unit();
        let (baseline, task) = if s.key.case == TICK {
            (results.ns_per_unit(&s.key, INTERVAL), None)
        } else {
            (results.ns_per_unit(&s.key, ACTOR), results.ns_per_unit(&s.key, TASK))
        };
        println!(
            "{:<11} {:<15} {:<9} {:>12} {:>10} {:>12} {:>8}",
            s.key.case,
            s.key.flavor,
            s.key.variant,
            figure(ns, 1),
            figure(s.ns_per_iter().map(|ns| ns / 1e6), 2),
            ratio(ns, baseline),
            ratio(ns, task),
        );
    });
    println!();
    for flavor in [CURRENT_THREAD, MULTI_THREAD] {
        let key = Run { bench: BENCH, case: START_STOP, flavor, variant: RUNTIME, units: COMPONENTS };
        if let Some(r) = quotient(results.ns_per_unit(&key, RUNTIME), results.ns_per_unit(&key, TASK)) {
            let verdict = if r <= GOAL { "met" } else { "NOT met" };
            println!(
                "goal (issue #13: spawn + start + stop of one component <= {GOAL}x one bare tokio task, spawn + join), \
                 {flavor}: {r:.2}x, {verdict}"
            );
        }
    }
}

fn main() {
    let mut criterion = support::criterion(Duration::from_secs(1), Duration::from_secs(3), 10);
    let results = Results::default();

    let rt = current_thread(false);
    results.bench_run(&mut criterion, BENCH, (START_STOP, CURRENT_THREAD, RUNTIME, COMPONENTS), || {
        rt.block_on(runtime_start_stop());
    });
    results.bench_run(&mut criterion, BENCH, (START_STOP, CURRENT_THREAD, ACTOR, COMPONENTS), || {
        rt.block_on(actor_start_stop());
    });
    results.bench_run(&mut criterion, BENCH, (START_STOP, CURRENT_THREAD, TASK, COMPONENTS), || {
        rt.block_on(task_start_stop());
    });
    drop(rt);

    let rt = multi_thread();
    results.bench_run(&mut criterion, BENCH, (START_STOP, MULTI_THREAD, RUNTIME, COMPONENTS), || {
        rt.block_on(runtime_start_stop());
    });
    results.bench_run(&mut criterion, BENCH, (START_STOP, MULTI_THREAD, ACTOR, COMPONENTS), || {
        rt.block_on(actor_start_stop());
    });
    results.bench_run(&mut criterion, BENCH, (START_STOP, MULTI_THREAD, TASK, COMPONENTS), || {
        rt.block_on(task_start_stop());
    });
    drop(rt);

    let rt = current_thread(true);
    results.bench_run(&mut criterion, BENCH, (TICK, CURRENT_THREAD, RUNTIME, TICKS), || {
        rt.block_on(runtime_ticks());
    });
    results.bench_run(&mut criterion, BENCH, (TICK, CURRENT_THREAD, INTERVAL, TICKS), || {
        rt.block_on(interval_ticks());
    });
    drop(rt);

    criterion.final_summary();
    // `cargo test` (`--test`), `--list` and `--profile-time` run nothing criterion times: no table.
    if support::timed_run() {
        print_table(&results);
    }
}
