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
//! After criterion, a table gives ns per component / per tick and the ratio to the baseline, all from
//! this run: each timed batch of criterion's `iter_custom` is recorded, and the estimate is
//! criterion's own (the slope of time over iterations across the measurement samples).
//!
//! Run with `cargo bench --bench lifecycle`.

use std::cell::RefCell;
use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{BenchmarkId, Criterion};
use hooks_runtime::prelude::*;
use tokio::sync::{mpsc, oneshot};
use tokio::time::MissedTickBehavior;

/// Components started and stopped per run.
const COMPONENTS: u64 = 10_000;
/// Background-task ticks per run.
const TICKS: u64 = 10_000;
/// The capacity of a component's mailbox in `hooks-runtime` (`runtime.rs`), used by the baseline too.
const MAILBOX: usize = 64;

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

const START_STOP: &str = "start_stop";
const TICK: &str = "tick";
const CURRENT_THREAD: &str = "current_thread";
const MULTI_THREAD: &str = "multi_thread";
const RUNTIME: &str = "runtime";
const ACTOR: &str = "actor";
const INTERVAL: &str = "interval";

/// One variant of one case: every batch criterion timed.
struct Series {
    case: &'static str,
    flavor: &'static str,
    variant: &'static str,
    /// Components or ticks per run.
    units: u64,
    /// `(iterations, elapsed)` of each batch, warm-up first, then criterion's samples.
    batches: Vec<(u64, Duration)>,
}

impl Series {
    /// Nanoseconds per run, as criterion estimates it: the least-squares slope of time over
    /// iterations across the samples (the trailing batches of d, 2d, .., kd iterations).
    fn ns_per_run(&self) -> Option<f64> {
        let samples = measurement_samples(&self.batches);
        let (nt, nn) = samples.iter().fold((0.0, 0.0), |(nt, nn), &(n, t)| {
            let n = n as f64;
            (nt + n * t.as_nanos() as f64, nn + n * n)
        });
        (nn > 0.0).then(|| nt / nn)
    }

    fn ns_per_unit(&self) -> Option<f64> {
        self.ns_per_run().map(|ns| ns / self.units as f64)
    }
}

/// Criterion's samples are the trailing batches of d, 2d, .., kd iterations (linear sampling), or
/// of d iterations each (flat sampling, which criterion picks when a run is too long for linear
/// sampling in the measurement time); the warm-up before them doubles its iterations. Falls back to
/// every batch.
fn measurement_samples(batches: &[(u64, Duration)]) -> &[(u64, Duration)] {
    let n = batches.len();
    if n < 2 {
        return batches;
    }
    let step = batches[n - 1].0.wrapping_sub(batches[n - 2].0);
    let mut start = n - 1;
    while start > 0 && batches[start].0.wrapping_sub(batches[start - 1].0) == step {
        start -= 1;
    }
    // Flat: the equal batches; linear: the first sample has exactly `step` iterations.
    if step == 0 || batches[start].0 == step {
        &batches[start..]
    } else {
        batches
    }
}

type Results = RefCell<Vec<Series>>;

/// Benchmarks `run` (one whole run of `units` components or ticks) as `case/variant/flavor`.
fn bench_variant(
    criterion: &mut Criterion,
    results: &Results,
    (case, flavor, variant, units): (&'static str, &'static str, &'static str, u64),
    mut run: impl FnMut(),
) {
    let series = {
        let mut results = results.borrow_mut();
        results.push(Series { case, flavor, variant, units, batches: Vec::new() });
        results.len() - 1
    };
    let mut group = criterion.benchmark_group(format!("lifecycle/{case}"));
    group.bench_function(BenchmarkId::new(variant, flavor), |b| {
        b.iter_custom(|iters| {
            let start = Instant::now();
            for _ in 0..iters {
                run();
            }
            let elapsed = start.elapsed();
            results.borrow_mut()[series].batches.push((iters, elapsed));
            elapsed
        });
    });
    group.finish();
}

fn current_thread(paused: bool) -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread().enable_time().start_paused(paused).build().expect("tokio runtime")
}

fn multi_thread() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_time().build().expect("tokio runtime")
}

// ---------------------------------------------------------------------------------------------
// Report

fn print_table(results: &[Series]) {
    println!();
    println!(
        "lifecycle: ns per component (start_stop, x{COMPONENTS}) or per tick (tick, x{TICKS}, paused clock), \
         criterion slope estimate; ratio = runtime / baseline, same run"
    );
    println!("{:<11} {:<15} {:<9} {:>12} {:>10} {:>8}", "case", "tokio", "variant", "ns/unit", "ms/run", "ratio");
    let find = |case: &str, flavor: &str, variant: &str| {
        results
            .iter()
            .find(|s| s.case == case && s.flavor == flavor && s.variant == variant)
            .and_then(Series::ns_per_unit)
    };
    for s in results {
        let ns = s.ns_per_unit();
        let baseline = find(s.case, s.flavor, if s.case == TICK { INTERVAL } else { ACTOR });
        let ratio = match (ns, baseline) {
            (Some(ns), Some(base)) if base > 0.0 => format!("{:.2}x", ns / base),
            _ => "-".to_owned(),
        };
        println!(
            "{:<11} {:<15} {:<9} {:>12} {:>10} {:>8}",
            s.case,
            s.flavor,
            s.variant,
            ns.map_or_else(|| "-".to_owned(), |ns| format!("{ns:.1}")),
            s.ns_per_run().map_or_else(|| "-".to_owned(), |ns| format!("{:.2}", ns / 1e6)),
            ratio,
        );
    }
}

fn main() {
    let mut criterion = Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
        .sample_size(10)
        .configure_from_args();
    let results = Results::default();

    let rt = current_thread(false);
    bench_variant(&mut criterion, &results, (START_STOP, CURRENT_THREAD, RUNTIME, COMPONENTS), || {
        rt.block_on(runtime_start_stop());
    });
    bench_variant(&mut criterion, &results, (START_STOP, CURRENT_THREAD, ACTOR, COMPONENTS), || {
        rt.block_on(actor_start_stop());
    });
    drop(rt);

    let rt = multi_thread();
    bench_variant(&mut criterion, &results, (START_STOP, MULTI_THREAD, RUNTIME, COMPONENTS), || {
        rt.block_on(runtime_start_stop());
    });
    bench_variant(&mut criterion, &results, (START_STOP, MULTI_THREAD, ACTOR, COMPONENTS), || {
        rt.block_on(actor_start_stop());
    });
    drop(rt);

    let rt = current_thread(true);
    bench_variant(&mut criterion, &results, (TICK, CURRENT_THREAD, RUNTIME, TICKS), || {
        rt.block_on(runtime_ticks());
    });
    bench_variant(&mut criterion, &results, (TICK, CURRENT_THREAD, INTERVAL, TICKS), || {
        rt.block_on(interval_ticks());
    });
    drop(rt);

    criterion.final_summary();
    // `cargo test` (`--test`), `--list` and `--profile-time` run nothing criterion times: no table.
    let args: Vec<String> = std::env::args().collect();
    let untimed = ["--test", "--list", "--profile-time"].iter().any(|flag| args.iter().any(|arg| arg == flag));
    if args.iter().any(|arg| arg == "--bench") && !untimed {
        print_table(&results.into_inner());
    }
}
