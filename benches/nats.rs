//! `nats`: what the NATS transport (feature `nats`) costs over loopback, against bare async-nats
//! doing the same work in the same run, and against the in-process bus.
//!
//! - `round_trip`: sequential commands `runtime.command(Count { add: 1 })` answered by a
//!   `#[on_command]` handler of a runtime with its own connection (the reply a `u32`, JSON both
//!   ways). Baseline `bare`: `client.request(subject, json)` answered by a task on another
//!   connection that decodes the same struct and replies with the JSON of a `u32`, the caller
//!   decoding it. Variant `in-process`: the same command with both components in one runtime
//!   without transport. One criterion iteration is one round trip.
//! - `publish`: `runtime.publish(Tick { n })` to an `#[on_message]` handler of a runtime on another
//!   connection. Baseline `bare`: `client.publish` of the same JSON to a subscriber on another
//!   connection that decodes each. Variant `in-process`: one runtime, no transport. One criterion
//!   iteration is one message: a batch of criterion's is published in chunks of at most 20,000,
//!   each timed until the handler (or subscriber) counted all of it, so the time includes the
//!   delivery (the chunks bound what is in flight: core NATS is at most once, and a subscriber
//!   that falls too far behind loses messages; a chunk not seen within 30 s panics, naming the case).
//!
//! The server (`nats-server` on a free loopback port, started by the bench), the connections, the
//! runtimes and components and the bare tasks are set up once, outside the timing, on one tokio
//! 2-worker `multi_thread` runtime (with I/O); each criterion batch is one `block_on` that times itself.
//! After criterion, a table gives µs per round trip and messages per second for each variant, with
//! hooks / bare, all from this run (each timed batch of criterion's `iter_custom` is recorded; the
//! estimate is criterion's own slope of time over iterations across the samples), and the load
//! average at the start and at the end. Goals (issue #15): round trip ≤ 1.2x bare async-nats;
//! publish throughput ≥ 80 % of bare. Needs `nats-server`; without it, says so and exits.
//!
//! Run with `cargo bench --bench nats`; `cargo test --benches` runs each case once (criterion's
//! test mode), without the table.

mod support;

#[path = "../tests/support/nats_server.rs"]
mod nats_server;

use std::future::Future;
use std::hint::black_box;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use hooks_runtime::prelude::*;
use hooks_runtime::{NatsTransport, Route};
use serde::{Deserialize, Serialize};
use support::{figure, quotient, ratio, Run};
use tokio::sync::Notify;

/// The most messages published before waiting until all of them arrived.
const CHUNK: u64 = 20_000;
/// How long a chunk may take to arrive before the bench fails.
const PATIENCE: Duration = Duration::from_secs(30);
/// Issue #15: a command round trip costs at most this many bare async-nats requests.
const ROUND_TRIP_GOAL: f64 = 1.2;
/// Issue #15: publish throughput is at least this share (%) of bare async-nats's.
const PUBLISH_GOAL: f64 = 80.0;

#[derive(Message, Serialize, Deserialize, Debug)]
#[message(reply = u32, serde, name = "bench.count")]
struct Count {
    add: u32,
}

#[derive(Message, Serialize, Deserialize, Debug)]
#[message(serde, name = "bench.tick")]
struct Tick {
    n: u64,
}

#[derive(Hooks, Default)]
struct Counter {
    #[hooks(base)]
    service: Service,
    #[hooks(base)]
    commands: CommandHandler,
    total: u32,
}

#[hooks]
impl Counter {
    #[on_command]
    fn count(&mut self, count: &Count) -> u32 {
        self.total = self.total.wrapping_add(count.add);
        self.total
    }
}

#[derive(Hooks)]
struct Ticks {
    #[hooks(base)]
    service: Service,
    #[hooks(base)]
    bus: MessageBusClient,
    counting: Counting,
}

#[hooks]
impl Ticks {
    #[on_message]
    fn tick(&mut self, _: &Tick) {
        self.counting.seen();
    }
}

/// What a receiver counts, and the signal that a chunk arrived whole.
#[derive(Clone)]
struct Counting {
    seen: Arc<AtomicU64>,
    all: Arc<Notify>,
    target: Arc<AtomicU64>,
}

impl Counting {
    fn new() -> Self {
        Counting { seen: Arc::default(), all: Arc::default(), target: Arc::new(AtomicU64::new(u64::MAX)) }
    }

    fn ticks(&self) -> Ticks {
        Ticks { service: Service::default(), bus: MessageBusClient::default(), counting: self.clone() }
    }

    /// One more message arrived.
    fn seen(&self) {
        if self.seen.fetch_add(1, Ordering::Relaxed) + 1 == self.target.load(Ordering::Relaxed) {
            self.all.notify_one();
        }
    }

    /// Arms for `n` more.
    fn expect(&self, n: u64) {
        self.target.store(self.seen.load(Ordering::Relaxed) + n, Ordering::Relaxed);
    }

    /// Waits for `all` (every message of a chunk of `n` counted); a chunk that lost messages (core
    /// NATS is at most once: a subscriber that falls too far behind loses them) fails loudly
    /// instead of hanging.
    async fn all_seen(&self, case: &str, all: impl Future<Output = ()>, n: u64) {
        if tokio::time::timeout(PATIENCE, all).await.is_err() {
            let (seen, target) = (self.seen.load(Ordering::Relaxed), self.target.load(Ordering::Relaxed));
            panic!(
                "publish, {case}: {} of a chunk's {n} messages arrived within {PATIENCE:?} (seen {seen}, expected \
                 {target}); run with RUST_LOG=info to see the connection's events",
                n.saturating_sub(target.saturating_sub(seen)),
            );
        }
    }
}

/// `iters` sequential round trips of `call`, timed.
async fn round_trips<F, Fut>(iters: u64, mut call: F) -> Duration
where
    F: FnMut() -> Fut,
    Fut: Future,
{
    let start = Instant::now();
    for _ in 0..iters {
        black_box(call().await);
    }
    start.elapsed()
}

/// `iters` messages sent by `publish(n)` in chunks of at most `CHUNK`, each chunk timed until
/// `counting` counted all of it.
async fn publishes<F, Fut>(case: &str, counting: &Counting, iters: u64, mut publish: F) -> Duration
where
    F: FnMut(u64) -> Fut,
    Fut: Future,
{
    let start = Instant::now();
    let mut n = 0;
    while n < iters {
        let chunk = (iters - n).min(CHUNK);
        counting.expect(chunk);
        let all = counting.all.notified();
        for _ in 0..chunk {
            black_box(publish(n).await);
            n += 1;
        }
        counting.all_seen(case, all, chunk).await;
    }
    start.elapsed()
}

/// Everything the cases use, set up once.
struct Setup {
    caller: Runtime,
    callee: Runtime,
    local: Runtime,
    bare_caller: async_nats::Client,
    bare_subject: String,
    ticks: Counting,
    bare_ticks: Counting,
    local_ticks: Counting,
    bare_tasks: Vec<tokio::task::JoinHandle<()>>,
}

/// The subject of the bare round trips.
const BARE_COUNT: &str = "bare.count";

impl Setup {
    async fn new(url: &str) -> Setup {
        let caller =
            Runtime::with_transport(NatsTransport::new(url).prefix("bench").name("caller")).await.expect("caller");
        let callee =
            Runtime::with_transport(NatsTransport::new(url).prefix("bench").name("callee")).await.expect("callee");
        callee.spawn(Counter::default()).start().await.expect("started");
        let ticks = Counting::new();
        callee.spawn(ticks.ticks()).start().await.expect("started");

        let local = Runtime::new();
        local.spawn(Counter::default()).start().await.expect("started");
        let local_ticks = Counting::new();
        local.spawn(local_ticks.ticks()).start().await.expect("started");

        let bare_caller = async_nats::connect(url).await.expect("connected");
        let bare_callee = async_nats::connect(url).await.expect("connected");
        let mut requests = bare_callee.subscribe(BARE_COUNT).await.expect("subscribed");
        let bare_subject =
            NatsTransport::new("").prefix("bench").subject::<Tick>(Route::Publish).replace("bench.", "bare.");
        let mut bare_messages = bare_callee.subscribe(bare_subject.clone()).await.expect("subscribed");
        bare_callee.flush().await.expect("flushed");
        let responder = tokio::spawn({
            let client = bare_callee.clone();
            async move {
                let mut total = 0u32;
                while let Some(request) = requests.next().await {
                    let count: Count = serde_json::from_slice(&request.payload).expect("a Count");
                    total = total.wrapping_add(count.add);
                    if let Some(reply) = request.reply {
                        let _ = client.publish(reply, serde_json::to_vec(&total).expect("json").into()).await;
                    }
                }
            }
        });
        let bare_ticks = Counting::new();
        let subscriber = tokio::spawn({
            let counting = bare_ticks.clone();
            async move {
                while let Some(message) = bare_messages.next().await {
                    black_box(serde_json::from_slice::<Tick>(&message.payload).expect("a Tick"));
                    counting.seen();
                }
            }
        });
        Setup {
            caller,
            callee,
            local,
            bare_caller,
            bare_subject,
            ticks,
            bare_ticks,
            local_ticks,
            bare_tasks: vec![responder, subscriber],
        }
    }

    async fn stop(self) {
        for task in &self.bare_tasks {
            task.abort();
        }
        self.caller.stop_all().await.expect("stopped");
        self.callee.stop_all().await.expect("stopped");
        self.local.stop_all().await.expect("stopped");
    }
}

// ---------------------------------------------------------------------------------------------
// Measurement

const BENCH: &str = "nats";
const ROUND_TRIP: &str = "round_trip";
const PUBLISH: &str = "publish";
const MULTI_THREAD: &str = "multi_thread";
const HOOKS: &str = "hooks";
const BARE: &str = "bare";
const IN_PROCESS: &str = "in-process";

type Results = support::Results<Run>;

/// The key of `case`'s `variant`: one iteration is one round trip or one message.
fn key(case: &'static str, variant: &'static str) -> Run {
    Run { bench: BENCH, case, flavor: MULTI_THREAD, variant, units: 1 }
}

fn bench(criterion: &mut criterion::Criterion, results: &Results, rt: &tokio::runtime::Runtime, setup: &Setup) {
    let Setup { caller, local, bare_caller, bare_subject, ticks, bare_ticks, local_ticks, .. } = setup;

    results.bench_batches(criterion, key(ROUND_TRIP, HOOKS), |iters| {
        rt.block_on(round_trips(iters, || async { caller.command(Count { add: 1 }).await.expect("answered") }))
    });
    results.bench_batches(criterion, key(ROUND_TRIP, BARE), |iters| {
        rt.block_on(round_trips(iters, || async {
            let payload = serde_json::to_vec(&Count { add: 1 }).expect("json");
            let reply = bare_caller.request(BARE_COUNT, payload.into()).await.expect("answered");
            serde_json::from_slice::<u32>(&reply.payload).expect("a u32")
        }))
    });
    results.bench_batches(criterion, key(ROUND_TRIP, IN_PROCESS), |iters| {
        rt.block_on(round_trips(iters, || async { local.command(Count { add: 1 }).await.expect("answered") }))
    });

    results.bench_batches(criterion, key(PUBLISH, HOOKS), |iters| {
        rt.block_on(publishes("hooks over NATS", ticks, iters, |n| caller.publish(Tick { n })))
    });
    results.bench_batches(criterion, key(PUBLISH, BARE), |iters| {
        rt.block_on(publishes("bare async-nats", bare_ticks, iters, |n| async move {
            let payload = serde_json::to_vec(&Tick { n }).expect("json");
            bare_caller.publish(bare_subject.clone(), payload.into()).await.expect("published");
        }))
    });
    results.bench_batches(criterion, key(PUBLISH, IN_PROCESS), |iters| {
        rt.block_on(publishes("in-process", local_ticks, iters, |n| local.publish(Tick { n })))
    });
}

// ---------------------------------------------------------------------------------------------
// Report

fn print_table(results: &Results, load_at_start: &str) {
    let ns = |case, variant| results.ns_per_unit(&key(case, HOOKS), variant);
    let micros = |case, variant| figure(ns(case, variant).map(|ns| ns / 1e3), 2);
    let rate = |variant| figure(ns(PUBLISH, variant).map(|ns| 1e9 / ns), 0);
    let round_trip = quotient(ns(ROUND_TRIP, HOOKS), ns(ROUND_TRIP, BARE));
    let publish = quotient(ns(PUBLISH, BARE), ns(PUBLISH, HOOKS)).map(|share| 100.0 * share);

    println!();
    println!(
        "nats over loopback: criterion slope estimate per round trip / per message, hooks / bare from this run; \
         load average {load_at_start} at the start, {} at the end",
        support::load_average()
    );
    println!("| case | hooks over NATS | bare async-nats | in-process bus | hooks / bare |");
    println!("|---|---|---|---|---|");
    println!(
        "| command round trip | {} µs | {} µs | {} µs | {} (goal ≤ {ROUND_TRIP_GOAL}x) |",
        micros(ROUND_TRIP, HOOKS),
        micros(ROUND_TRIP, BARE),
        micros(ROUND_TRIP, IN_PROCESS),
        ratio(ns(ROUND_TRIP, HOOKS), ns(ROUND_TRIP, BARE)),
    );
    println!(
        "| publish throughput | {} msg/s | {} msg/s | {} msg/s | {} % (goal ≥ {PUBLISH_GOAL} %) |",
        rate(HOOKS),
        rate(BARE),
        rate(IN_PROCESS),
        figure(publish, 0),
    );
    println!();
    if let Some(r) = round_trip {
        let verdict = if r <= ROUND_TRIP_GOAL { "met" } else { "NOT met" };
        println!("goal (issue #15: command round trip <= {ROUND_TRIP_GOAL}x bare async-nats): {r:.2}x, {verdict}");
    }
    if let Some(p) = publish {
        let verdict = if p >= PUBLISH_GOAL { "met" } else { "NOT met" };
        println!("goal (issue #15: publish throughput >= {PUBLISH_GOAL} % of bare async-nats): {p:.0} %, {verdict}");
    }
}

fn main() {
    tracing_subscriber::fmt().with_env_filter(tracing_subscriber::EnvFilter::from_default_env()).init();
    let load_at_start = support::load_average();
    let mut criterion = support::criterion(Duration::from_secs(2), Duration::from_secs(8), 20);
    let Some(server) = nats_server::NatsServer::start("bench") else { return };
    let rt = support::multi_thread_io();
    let setup = rt.block_on(Setup::new(&server.url()));
    let results = Results::default();

    bench(&mut criterion, &results, &rt, &setup);

    rt.block_on(setup.stop());
    drop(rt);
    drop(server);
    criterion.final_summary();
    // `cargo test` (`--test`), `--list` and `--profile-time` run nothing criterion times: no table.
    if support::timed_run() {
        print_table(&results, &load_at_start);
    }
}
