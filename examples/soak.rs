//! A soak run: 1,000,000 messages through one component, then 100,000 spawn/start/stop cycles,
//! printing the process's resident memory before and after each (Linux `/proc/self/statm`).
//! Memory that grows with the cycles would be a leak (a queue, a subscription or a registry entry
//! left behind). Run it in release: `cargo run --release --example soak [messages] [cycles]`.

use std::time::Instant;

use hooks_runtime::prelude::*;

#[derive(Debug, Clone, Copy, PartialEq)]
enum Kind {
    Event,
    Job,
}

#[derive(Hooks, Default)]
struct Sink {
    #[hooks(base)]
    service: Service,
    #[hooks(base)]
    bus: MessageBusClient,
    #[hooks(base)]
    pulls: PullClient,
    handled: u64,
}

#[hooks]
impl Sink {
    #[on_message(Kind::Event)]
    fn event(&mut self, n: &u64) {
        self.handled += n;
    }

    #[on_pull_message(Kind::Job)]
    fn job(&mut self, n: &u64) {
        self.handled += n;
    }
}

/// Resident memory in KiB (0 where `/proc` is not there).
fn rss_kib() -> u64 {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap_or_default();
    let pages: u64 = statm.split_whitespace().nth(1).and_then(|p| p.parse().ok()).unwrap_or(0);
    pages * 4
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    // `RUST_LOG=debug` shows each hook run with its component, duration and failures.
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_span_events(tracing_subscriber::fmt::format::FmtSpan::CLOSE)
        .init();
    let mut args = std::env::args().skip(1).map(|a| a.parse::<u64>());
    let messages = args.next().transpose()?.unwrap_or(1_000_000);
    let cycles = args.next().transpose()?.unwrap_or(100_000);
    let runtime = Runtime::new();

    let before = rss_kib();
    let began = Instant::now();
    let sink = runtime.spawn(Sink::default());
    sink.start().await?;
    for n in 0..messages {
        if n % 2 == 0 {
            sink.publish(Message::new(Kind::Event, 1u64)).await?;
        } else {
            runtime.publish(Message::new(Kind::Event, 1u64)).await;
        }
    }
    let handled = sink.stop().await?.handled;
    assert_eq!(handled, messages, "every accepted message handled once");
    println!(
        "{messages} messages: handled {handled} in {:.2?}; RSS {before} KiB before, {} KiB after",
        began.elapsed(),
        rss_kib()
    );

    let before = rss_kib();
    let began = Instant::now();
    let mut handled = 0;
    for n in 0..cycles {
        let h = runtime.spawn(Sink::default());
        h.start().await?;
        runtime.push(Message::new(Kind::Job, 1u64)).await?;
        h.publish(Message::new(Kind::Event, 1u64)).await?;
        handled += h.stop().await?.handled;
        if n == cycles / 10 {
            println!("  after {n} cycles: RSS {} KiB", rss_kib());
        }
    }
    assert_eq!(handled, 2 * cycles);
    assert!(runtime.components().is_empty());
    println!(
        "{cycles} spawn/start/push/publish/stop cycles in {:.2?}: RSS {before} KiB before, {} KiB after",
        began.elapsed(),
        rss_kib()
    );
    Ok(())
}
