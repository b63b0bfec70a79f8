//! `nats`: what the NATS transport (feature `nats`) costs over loopback, against bare async-nats
//! doing the same work in the same run, and against the in-process bus.
//!
//! - `round trip`: 2,000 sequential commands `runtime.command(Count { add: 1 })` answered by a
//!   `#[on_command]` handler of a runtime with its own connection (the reply a `u32`, JSON both
//!   ways). Baseline `bare`: `client.request(subject, json)` answered by a task on another
//!   connection that decodes the same struct and replies with the JSON of a `u32`, the caller
//!   decoding it. Variant `in-process`: the same command with both components in one runtime
//!   without transport.
//! - `publish`: 20,000 `runtime.publish(Tick { n })` to an `#[on_message]` handler of a runtime on
//!   another connection, timed until it counted all of them. Baseline `bare`: `client.publish` of
//!   the same JSON to a subscriber on another connection that decodes each. Variant `in-process`:
//!   one runtime, no transport.
//!
//! Each case runs 3 times (after one warm-up run); the median is reported, with the load average.
//! Goals (issue #15): round trip ≤ 1.2x bare async-nats; publish throughput ≥ 80 % of bare.
//! Needs `nats-server` (it starts one on a free loopback port); without it, says so and exits.
//!
//! Run with `cargo bench --bench nats`.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use hooks_runtime::prelude::*;
use hooks_runtime::{NatsTransport, Route};
use serde::{Deserialize, Serialize};
use tokio::sync::Notify;

#[path = "../tests/support/nats_server.rs"]
mod nats_server;

const ROUND_TRIPS: u64 = 2_000;
const MESSAGES: u64 = 20_000;
const RUNS: usize = 3;

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
        self.total += count.add;
        self.total
    }
}

#[derive(Hooks)]
struct Ticks {
    #[hooks(base)]
    service: Service,
    #[hooks(base)]
    bus: MessageBusClient,
    seen: Arc<AtomicU64>,
    all: Arc<Notify>,
    target: Arc<AtomicU64>,
}

#[hooks]
impl Ticks {
    #[on_message]
    fn tick(&mut self, _: &Tick) {
        let seen = self.seen.fetch_add(1, Ordering::Relaxed) + 1;
        if seen == self.target.load(Ordering::Relaxed) {
            self.all.notify_one();
        }
    }
}

struct Counting {
    seen: Arc<AtomicU64>,
    all: Arc<Notify>,
    target: Arc<AtomicU64>,
}

impl Counting {
    fn new() -> Self {
        Counting { seen: Arc::default(), all: Arc::default(), target: Arc::new(AtomicU64::new(u64::MAX)) }
    }

    fn component(&self) -> Ticks {
        Ticks {
            service: Service::default(),
            bus: MessageBusClient::default(),
            seen: self.seen.clone(),
            all: self.all.clone(),
            target: self.target.clone(),
        }
    }

    /// Arms for `n` more.
    fn expect(&self, n: u64) {
        self.target.store(self.seen.load(Ordering::Relaxed) + n, Ordering::Relaxed);
    }
}

/// Waits for `all` (every message of the run counted); a run that lost messages (core NATS is at
/// most once: a subscriber the server finds too slow is dropped) fails loudly instead of hanging.
async fn all_seen(case: &str, all: impl std::future::Future<Output = ()>, seen: &AtomicU64, target: &AtomicU64) {
    if tokio::time::timeout(Duration::from_secs(30), all).await.is_err() {
        panic!(
            "{case}: {} of the run's messages arrived within 30 s (seen {}, expected {}); run with RUST_LOG=info to see the connection's events",
            MESSAGES.saturating_sub(target.load(Ordering::Relaxed).saturating_sub(seen.load(Ordering::Relaxed))),
            seen.load(Ordering::Relaxed),
            target.load(Ordering::Relaxed)
        );
    }
}

fn median(mut xs: Vec<f64>) -> f64 {
    xs.sort_by(f64::total_cmp);
    xs[xs.len() / 2]
}

async fn measure<F, Fut>(mut run: F) -> f64
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Duration>,
{
    run().await; // warm-up
    let mut times = Vec::new();
    for _ in 0..RUNS {
        times.push(run().await.as_secs_f64());
    }
    median(times)
}

fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "?".to_owned())
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    tracing_subscriber::fmt().with_env_filter(tracing_subscriber::EnvFilter::from_default_env()).init();
    if std::env::args().any(|a| a == "--list") {
        return Ok(());
    }
    let Some(server) = nats_server::NatsServer::start("bench") else { return Ok(()) };
    let url = server.url();
    let names = NatsTransport::new("").prefix("bench");

    // Round trip.
    let caller = Runtime::with_transport(NatsTransport::new(&url).prefix("bench").name("caller")).await?;
    let callee = Runtime::with_transport(NatsTransport::new(&url).prefix("bench").name("callee")).await?;
    callee.spawn(Counter::default()).start().await?;
    let hooks_rt = measure(|| async {
        let start = Instant::now();
        for _ in 0..ROUND_TRIPS {
            std::hint::black_box(caller.command(Count { add: 1 }).await.expect("answered"));
        }
        start.elapsed()
    })
    .await;

    let bare_caller = async_nats::connect(&url).await?;
    let bare_callee = async_nats::connect(&url).await?;
    let subject = "bare.count";
    let mut requests = bare_callee.subscribe(subject).await?;
    bare_callee.flush().await?;
    let responder = tokio::spawn({
        let client = bare_callee.clone();
        async move {
            let mut total = 0u32;
            while let Some(request) = requests.next().await {
                let count: Count = serde_json::from_slice(&request.payload).expect("a Count");
                total += count.add;
                if let Some(reply) = request.reply {
                    let _ = client.publish(reply, serde_json::to_vec(&total).expect("json").into()).await;
                }
            }
        }
    });
    let bare_rt = measure(|| async {
        let start = Instant::now();
        for _ in 0..ROUND_TRIPS {
            let payload = serde_json::to_vec(&Count { add: 1 }).expect("json");
            let reply = bare_caller.request(subject, payload.into()).await.expect("answered");
            std::hint::black_box(serde_json::from_slice::<u32>(&reply.payload).expect("a u32"));
        }
        start.elapsed()
    })
    .await;

    let local = Runtime::new();
    local.spawn(Counter::default()).start().await?;
    let local_rt = measure(|| async {
        let start = Instant::now();
        for _ in 0..ROUND_TRIPS {
            std::hint::black_box(local.command(Count { add: 1 }).await.expect("answered"));
        }
        start.elapsed()
    })
    .await;

    // Publish throughput.
    let counting = Counting::new();
    callee.spawn(counting.component()).start().await?;
    let hooks_pub = measure(|| async {
        counting.expect(MESSAGES);
        let all = counting.all.notified();
        let start = Instant::now();
        for n in 0..MESSAGES {
            caller.publish(Tick { n }).await;
        }
        all_seen("hooks over NATS", all, &counting.seen, &counting.target).await;
        start.elapsed()
    })
    .await;

    let seen = Arc::new(AtomicU64::new(0));
    let all = Arc::new(Notify::new());
    let target = Arc::new(AtomicU64::new(u64::MAX));
    let bare_subject = names.subject::<Tick>(Route::Publish).replace("bench.", "bare.");
    let mut ticks = bare_callee.subscribe(bare_subject.clone()).await?;
    bare_callee.flush().await?;
    let subscriber = tokio::spawn({
        let (seen, all, target) = (seen.clone(), all.clone(), target.clone());
        async move {
            while let Some(message) = ticks.next().await {
                std::hint::black_box(serde_json::from_slice::<Tick>(&message.payload).expect("a Tick"));
                if seen.fetch_add(1, Ordering::Relaxed) + 1 == target.load(Ordering::Relaxed) {
                    all.notify_one();
                }
            }
        }
    });
    let bare_pub = measure(|| async {
        target.store(seen.load(Ordering::Relaxed) + MESSAGES, Ordering::Relaxed);
        let done = all.notified();
        let start = Instant::now();
        for n in 0..MESSAGES {
            let payload = serde_json::to_vec(&Tick { n }).expect("json");
            bare_caller.publish(bare_subject.clone(), payload.into()).await.expect("published");
        }
        all_seen("bare async-nats", done, &seen, &target).await;
        start.elapsed()
    })
    .await;

    let local_counting = Counting::new();
    local.spawn(local_counting.component()).start().await?;
    let local_pub = measure(|| async {
        local_counting.expect(MESSAGES);
        let all = local_counting.all.notified();
        let start = Instant::now();
        for n in 0..MESSAGES {
            local.publish(Tick { n }).await;
        }
        all_seen("in-process", all, &local_counting.seen, &local_counting.target).await;
        start.elapsed()
    })
    .await;

    responder.abort();
    subscriber.abort();
    caller.stop_all().await?;
    callee.stop_all().await?;
    local.stop_all().await?;

    let per = |secs: f64, n: u64| secs * 1e6 / n as f64;
    let rate = |secs: f64| MESSAGES as f64 / secs;
    println!("nats bench over loopback (median of {RUNS} runs; load average {})", load_average());
    println!("| case | hooks over NATS | bare async-nats | in-process bus | hooks / bare |");
    println!("|---|---|---|---|---|");
    println!(
        "| command round trip | {:.1} µs | {:.1} µs | {:.2} µs | {:.2}x (goal ≤ 1.2x) |",
        per(hooks_rt, ROUND_TRIPS),
        per(bare_rt, ROUND_TRIPS),
        per(local_rt, ROUND_TRIPS),
        hooks_rt / bare_rt
    );
    println!(
        "| publish throughput | {:.0} msg/s | {:.0} msg/s | {:.0} msg/s | {:.0} % (goal ≥ 80 %) |",
        rate(hooks_pub),
        rate(bare_pub),
        rate(local_pub),
        100.0 * bare_pub / hooks_pub
    );
    Ok(())
}
