//! The bus across processes over NATS (issue #15): each test starts its own `nats-server` on a
//! free loopback port (skipped, saying so, when there is none; see `support/nats_server.rs`).
//! Multi-process tests run this test binary again as the other processes: the `child_process`
//! test does nothing unless `HOOKS_NATS_CHILD` names a role.

use std::collections::{BTreeMap, BTreeSet};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use hooks_runtime::prelude::*;
use hooks_runtime::{CallError, Codec, MessageEvent, NatsTransport, Rejection, Route, TransportError};
use serde::{Deserialize, Serialize};
use tokio::sync::mpsc;

#[path = "support/nats_server.rs"]
mod nats_server;
use nats_server::NatsServer;

/// Generous: real processes and a real server on a shared machine. Never asserted on.
const PATIENCE: Duration = Duration::from_secs(30);

#[derive(Message, Serialize, Deserialize, Debug, Clone, PartialEq)]
#[message(serde)]
struct Ping {
    n: u32,
}

#[derive(Message, Serialize, Deserialize, Debug, Clone)]
#[message(serde)]
struct Pong {
    n: u32,
    from: u32,
}

/// Large enough (2 MiB) for a server's default `max_payload` (1 MiB) to refuse it.
#[derive(Message, Serialize, Deserialize, Debug, Clone)]
#[message(serde, reply = String)]
struct Blob {
    data: String,
}

#[derive(Message, Serialize, Deserialize, Debug, Clone)]
#[message(serde)]
struct Job {
    id: u32,
}

#[derive(Message, Serialize, Deserialize, Debug, Clone)]
#[message(serde, name = "jobs.durable")]
struct DurableJob {
    id: u32,
}

#[derive(Message, Serialize, Deserialize, Debug, Clone)]
#[message(serde)]
struct Done {
    id: u32,
    worker: u32,
}

#[derive(Message, Serialize, Deserialize, Debug, Clone)]
#[message(serde)]
struct Started {
    id: u32,
    worker: u32,
}

#[derive(Message, Serialize, Deserialize, Debug, Clone)]
#[message(serde)]
struct Ready {
    worker: u32,
}

#[derive(Message, Serialize, Deserialize, Debug, Clone)]
#[message(serde)]
struct Shutdown;

#[derive(Message, Serialize, Deserialize, Debug)]
#[message(reply = u32, name = "workers.count", serde)]
struct Count {
    add: u32,
}

#[derive(Message, Serialize, Deserialize, Debug)]
#[message(reply = u32, serde)]
struct Fail;

#[derive(Message, Serialize, Deserialize, Debug)]
#[message(reply = String, serde)]
struct Nobody;

fn transport(server: &NatsServer, prefix: &str, name: &str) -> NatsTransport {
    NatsTransport::new(server.url())
        .prefix(prefix)
        .name(name)
        .durable::<DurableJob>()
        .ack_wait(Duration::from_secs(1))
        .request_timeout(Duration::from_secs(5))
}

async fn within<T>(what: &str, future: impl std::future::Future<Output = T>) -> T {
    tokio::time::timeout(PATIENCE, future).await.unwrap_or_else(|_| panic!("{what}: nothing within {PATIENCE:?}"))
}

// ---------------------------------------------------------------------------------------------
// Components

/// Forwards what it receives to the test through a channel.
#[derive(Hooks)]
struct Sink {
    #[hooks(base)]
    service: Service,
    #[hooks(base)]
    bus: MessageBusClient,
    tx: mpsc::UnboundedSender<String>,
}

#[hooks]
impl Sink {
    #[on_message]
    fn ping(&mut self, ping: &Ping) {
        let _ = self.tx.send(format!("ping {}", ping.n));
    }

    #[on_message]
    fn pong(&mut self, pong: &Pong) {
        let _ = self.tx.send(format!("pong {} from {}", pong.n, pong.from));
    }

    #[on_message]
    fn done(&mut self, done: &Done) {
        let _ = self.tx.send(format!("done {} by {}", done.id, done.worker));
    }

    #[on_message]
    fn started(&mut self, started: &Started) {
        let _ = self.tx.send(format!("started {} by {}", started.id, started.worker));
    }

    #[on_message]
    fn ready(&mut self, ready: &Ready) {
        let _ = self.tx.send(format!("ready {}", ready.worker));
    }
}

fn sink() -> (Sink, mpsc::UnboundedReceiver<String>) {
    let (tx, rx) = mpsc::unbounded_channel();
    (Sink { service: Service::default(), bus: MessageBusClient::default(), tx }, rx)
}

/// Answers commands; `Fail` fails, `Explode` panics, `Hang` never returns.
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

    #[on_command]
    fn fail(&mut self, _: &Fail) -> Result<u32, std::io::Error> {
        Err(std::io::Error::other("the disk is full"))
    }

    #[on_command]
    fn explode(&mut self, _: &Explode) -> u32 {
        panic!("the handler exploded")
    }

    #[on_command]
    async fn hang(&mut self, _: &Hang) -> u32 {
        std::future::pending().await
    }

    /// Echoes the blob; `grow` answers 2 MiB.
    #[on_command]
    fn blob(&mut self, blob: &Blob) -> String {
        if blob.data == "grow" {
            "x".repeat(2 << 20)
        } else {
            blob.data.clone()
        }
    }
}

// ---------------------------------------------------------------------------------------------
// One process, two runtimes, two connections: the wire, without processes.

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn publish_reaches_another_runtime_and_the_local_one_once() {
    let Some(server) = NatsServer::start("pubsub") else { return };
    let a = Runtime::with_transport(transport(&server, "t1", "a")).await.expect("connects");
    let b = Runtime::with_transport(transport(&server, "t1", "b")).await.expect("connects");
    let (sink_a, mut rx_a) = sink();
    let (sink_b, mut rx_b) = sink();
    a.spawn(sink_a).start().await.unwrap();
    b.spawn(sink_b).start().await.unwrap();
    for n in 0..5 {
        assert_eq!(a.publish(Ping { n }).await, 1, "the local subscriber");
    }
    for n in 0..5 {
        assert_eq!(within("a's ping", rx_a.recv()).await.as_deref(), Some(format!("ping {n}").as_str()));
        assert_eq!(within("b's ping", rx_b.recv()).await.as_deref(), Some(format!("ping {n}").as_str()));
    }
    a.stop_all().await.unwrap();
    b.stop_all().await.unwrap();
    // The local one got each once: not again from the server.
    assert!(rx_a.try_recv().is_err());
}

/// `start` returns once the server routes to the new subscription: a publish sent from another
/// connection right after it is never lost. (Flushing the subscription onto the socket is not
/// enough: the server may route the other connection's publish first.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_publish_right_after_start_returns_reaches_the_new_subscriber() {
    let Some(server) = NatsServer::start("ready") else { return };
    let a = Runtime::with_transport(transport(&server, "t9", "a")).await.expect("connects");
    let b = Runtime::with_transport(transport(&server, "t9", "b")).await.expect("connects");
    for n in 0..40 {
        let (sink_b, mut rx_b) = sink();
        let handle = b.spawn(sink_b);
        handle.start().await.unwrap();
        assert_eq!(a.publish(Ping { n }).await, 0, "no local subscriber");
        let got = within("b's ping", rx_b.recv()).await;
        assert_eq!(got.as_deref(), Some(format!("ping {n}").as_str()), "round {n}");
        // The last handler of `Ping` in b stops: b unsubscribes, and subscribes again next round.
        handle.stop().await.unwrap();
    }
    a.stop_all().await.unwrap();
    b.stop_all().await.unwrap();
}

/// The readiness probe itself is in effect before the first `ready`: a runtime's first start
/// returns at once, not after its request timeout (an hour here).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_first_start_of_a_runtime_does_not_wait_out_its_request_timeout() {
    let Some(server) = NatsServer::start("first-start") else { return };
    for round in 0..60 {
        let patient = transport(&server, "t14", "patient").request_timeout(Duration::from_secs(3600));
        let runtime = Runtime::with_transport(patient).await.expect("connects");
        let (sink, _rx) = sink();
        within(&format!("the first start, round {round}"), runtime.spawn(sink).start()).await.unwrap();
        within("stop_all", runtime.stop_all()).await.unwrap();
    }
}

/// A contract kept `local` by a process does not reach it from others, and it does not send it:
/// the others (on the same publish connection, in order) still cross.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_contract_kept_local_stays_in_its_process() {
    let Some(server) = NatsServer::start("local") else { return };
    let a = Runtime::with_transport(transport(&server, "t12", "a")).await.expect("connects");
    let b = Runtime::with_transport(transport(&server, "t12", "b").local::<Ping>()).await.expect("connects");
    let (sink_a, mut rx_a) = sink();
    let (sink_b, mut rx_b) = sink();
    a.spawn(sink_a).start().await.unwrap();
    b.spawn(sink_b).start().await.unwrap();
    // From a: Ping then Pong on one connection; b listens for Pong only.
    a.publish(Ping { n: 1 }).await;
    a.publish(Pong { n: 2, from: 0 }).await;
    assert_eq!(within("b's pong", rx_b.recv()).await.as_deref(), Some("pong 2 from 0"));
    // From b: its Ping stays in b (delivered there), its Pong crosses.
    assert_eq!(b.publish(Ping { n: 3 }).await, 1);
    assert_eq!(b.publish_remote(Pong { n: 4, from: 1 }).await.expect("sent"), 1);
    assert_eq!(within("b's own ping", rx_b.recv()).await.as_deref(), Some("ping 3"));
    assert_eq!(within("b's own pong", rx_b.recv()).await.as_deref(), Some("pong 4 from 1"));
    let seen_by_a: Vec<String> = [
        within("a's ping", rx_a.recv()).await,
        within("a's pong", rx_a.recv()).await,
        within("b's pong at a", rx_a.recv()).await,
    ]
    .into_iter()
    .flatten()
    .collect();
    assert_eq!(seen_by_a, ["ping 1", "pong 2 from 0", "pong 4 from 1"], "b's ping did not cross");
    a.stop_all().await.unwrap();
    b.stop_all().await.unwrap();
    assert!(rx_a.try_recv().is_err() && rx_b.try_recv().is_err());
    // Durable work crosses processes: a contract cannot be both.
    let both = transport(&server, "t12", "c").local::<DurableJob>();
    match Runtime::with_transport(both).await {
        Err(error) => assert!(error.to_string().contains("both `local` and `durable`"), "{error}"),
        Ok(_) => panic!("a contract both local and durable was accepted"),
    }
}

/// A server that wants credentials: refused without them, served with them through
/// `connect_options`; a panic in that closure is a setup error.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connect_options_carry_credentials_and_a_panic_in_them_is_an_error() {
    let Some(server) = NatsServer::start_with("auth", &["--user", "worker", "--pass", "s3cret"]) else { return };
    match Runtime::with_transport(transport(&server, "t13", "anonymous")).await {
        Err(TransportError::Setup(reason)) => assert!(reason.contains("cannot connect"), "{reason}"),
        Err(other) => panic!("expected TransportError::Setup, got {other}"),
        Ok(_) => panic!("connected without credentials"),
    }
    let with = |name| {
        transport(&server, "t13", name)
            .connect_options(|options| options.user_and_password("worker".into(), "s3cret".into()))
    };
    let caller = Runtime::with_transport(with("caller")).await.expect("connects with credentials");
    let callee = Runtime::with_transport(with("callee")).await.expect("connects with credentials");
    callee.spawn_named("counter", Counter::default()).start().await.unwrap();
    assert_eq!(within("a command", caller.command(Count { add: 7 })).await.unwrap(), 7);
    let panicking = transport(&server, "t13", "panicking").connect_options(|_| panic!("no certificate here"));
    match Runtime::with_transport(panicking).await {
        Err(TransportError::Setup(reason)) => assert!(reason.contains("panicked: no certificate here"), "{reason}"),
        Err(other) => panic!("expected TransportError::Setup, got {other}"),
        Ok(_) => panic!("a panicking connect_options closure was ignored"),
    }
    caller.stop_all().await.unwrap();
    callee.stop_all().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn command_round_trip_carries_replies_and_error_kinds() {
    let Some(server) = NatsServer::start("command") else { return };
    let caller = Runtime::with_transport(transport(&server, "t2", "caller")).await.expect("connects");
    let callee = Runtime::with_transport(transport(&server, "t2", "callee")).await.expect("connects");
    callee.spawn_named("counter", Counter::default()).start().await.unwrap();

    assert_eq!(caller.command(Count { add: 2 }).await.unwrap(), 2);
    assert_eq!(caller.command(Count { add: 3 }).await.unwrap(), 5);

    match caller.command(Fail).await {
        Err(CallError::Failed { component, errors, .. }) => {
            assert_eq!(&*component, "counter");
            let [error] = errors.errors() else { panic!("one failure: {errors:?}") };
            assert_eq!((error.owner(), error.method(), error.hook_type()), ("Counter", "fail", "OnCommand"));
            assert!(error.to_string().contains("the disk is full"), "{error}");
        }
        other => panic!("expected CallError::Failed, got {other:?}"),
    }
    match caller.command(Nobody).await {
        Err(CallError::NoHandler { kind, .. }) => assert_eq!(format!("{kind:?}"), "Nobody"),
        other => panic!("expected CallError::NoHandler, got {other:?}"),
    }
    // A handler of this process is preferred; none here for `Count`, so the answer is remote.
    callee.stop_all().await.unwrap();
    let gone = caller.command(Count { add: 1 }).await;
    assert!(matches!(gone, Err(CallError::NoHandler { .. })), "{gone:?}");
    caller.stop_all().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_payload_that_does_not_decode_is_reported_and_the_component_goes_on() {
    let Some(server) = NatsServer::start("bad-payload") else { return };
    let runtime = Runtime::with_transport(transport(&server, "t3", "receiver")).await.expect("connects");
    let seen = Arc::new(Mutex::new(Vec::new()));
    runtime.observe({
        let seen = seen.clone();
        move |event| {
            if let MessageEvent::Undecodable { contract, sender, subject, .. } = event {
                seen.lock().unwrap().push(format!("{contract} from {sender} on {subject}"));
            }
        }
    });
    let (sink, mut rx) = sink();
    runtime.spawn(sink).start().await.unwrap();
    runtime.spawn_named("counter", Counter::default()).start().await.unwrap();

    let raw = async_nats::connect(server.url()).await.unwrap();
    let names = NatsTransport::new("").prefix("t3");
    let mut headers = async_nats::HeaderMap::new();
    headers.insert("Hooks-Sender", "mallory");
    raw.publish_with_headers(names.subject::<Ping>(Route::Publish), headers.clone(), "{\"n\": \"nine\"}".into())
        .await
        .unwrap();
    // A hooks process names itself in a publish's reply field (no headers on publishes).
    raw.publish_with_reply(names.subject::<Ping>(Route::Publish), "_HOOKS.FROM.eve", "\"x\"".into()).await.unwrap();
    // A call that does not decode is answered with the error, naming the contract.
    let reply =
        raw.request_with_headers(names.subject::<Count>(Route::Command), headers.clone(), "[]".into()).await.unwrap();
    let header = |name: &str| reply.headers.as_ref().and_then(|h| h.get(name)).map(|v| v.as_str().to_owned());
    assert_eq!(header("Hooks-Error").as_deref(), Some("decode"));
    let body = String::from_utf8_lossy(&reply.payload).into_owned();
    assert!(body.contains("workers.count") && body.contains("mallory"), "{body}");
    // Still running: a good one after the bad ones is handled.
    raw.publish_with_headers(names.subject::<Ping>(Route::Publish), headers, "{\"n\": 9}".into()).await.unwrap();
    raw.flush().await.unwrap();
    assert_eq!(within("the good ping", rx.recv()).await.as_deref(), Some("ping 9"));
    assert_eq!(runtime.command(Count { add: 4 }).await.unwrap(), 4);
    // Two subscriptions: in either order.
    let mut seen = seen.lock().unwrap().clone();
    seen.sort();
    assert_eq!(
        seen,
        [
            "Ping from eve on t3.msg.Ping",
            "Ping from mallory on t3.msg.Ping",
            "workers.count from mallory on t3.cmd.workers.count"
        ]
    );
    runtime.stop_all().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_message_larger_than_the_server_takes_is_refused_with_its_size_and_nothing_breaks() {
    let Some(server) = NatsServer::start("too-large") else { return };
    // No request timeout to speak of: a reply that never comes shows as the `within` guard.
    let patient = |name| transport(&server, "t4", name).request_timeout(Duration::from_secs(3600));
    let caller = Runtime::with_transport(patient("caller")).await.expect("connects");
    let callee = Runtime::with_transport(patient("callee")).await.expect("connects");
    callee.spawn_named("counter", Counter::default()).start().await.unwrap();
    let big = || Blob { data: "y".repeat(2 << 20) };
    let too_large = |error: &TransportError| matches!(error, TransportError::TooLarge { contract: "Blob", size, max } if *size > *max);

    match caller.publish_remote(big()).await {
        Err(error) => assert!(too_large(&error), "{error}"),
        Ok(n) => panic!("a 2 MiB publish was sent ({n} local)"),
    }
    match caller.command(big()).await {
        Err(CallError::Transport(error)) => assert!(too_large(&error), "{error}"),
        other => panic!("expected TransportError::TooLarge, got {other:?}"),
    }
    // A reply too large is an error reply at once, not a wait for the timeout.
    match within("the oversized reply's error", caller.command(Blob { data: "grow".into() })).await {
        Err(CallError::Transport(error)) => {
            assert!(error.to_string().contains("larger than the server takes"), "{error}")
        }
        other => panic!("expected the reply's size error, got {other:?}"),
    }
    // Both sides go on.
    assert_eq!(caller.command(Blob { data: "small".into() }).await.unwrap(), "small");
    assert_eq!(caller.command(Count { add: 1 }).await.unwrap(), 1);
    caller.stop_all().await.unwrap();
    callee.stop_all().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_messagepack_codec_carries_publishes_calls_and_errors() {
    let Some(server) = NatsServer::start("msgpack") else { return };
    let packed = |name| transport(&server, "t5", name).codec(Codec::MessagePack);
    let caller = Runtime::with_transport(packed("caller")).await.expect("connects");
    let callee = Runtime::with_transport(packed("callee")).await.expect("connects");
    callee.spawn_named("counter", Counter::default()).start().await.unwrap();
    let (sink, mut rx) = sink();
    callee.spawn(sink).start().await.unwrap();

    assert_eq!(caller.command(Count { add: 2 }).await.unwrap(), 2);
    assert_eq!(caller.command(Blob { data: "naïve ✓".into() }).await.unwrap(), "naïve ✓");
    assert!(matches!(caller.command(Fail).await, Err(CallError::Failed { .. })));
    caller.publish(Ping { n: 4 }).await;
    assert_eq!(within("the packed ping", rx.recv()).await.as_deref(), Some("ping 4"));
    // A process on JSON cannot read it: a decode error naming the sender, not a wrong value.
    let json = Runtime::with_transport(transport(&server, "t5", "json")).await.expect("connects");
    match json.command(Count { add: 1 }).await {
        Err(CallError::Transport(TransportError::Remote { reason, .. })) => {
            assert!(reason.contains("json"), "{reason}")
        }
        Err(CallError::Transport(error @ TransportError::Decode { .. })) => {
            assert!(error.to_string().contains("json"), "{error}")
        }
        other => panic!("expected a decode error, got {other:?}"),
    }
    json.stop_all().await.unwrap();
    caller.stop_all().await.unwrap();
    callee.stop_all().await.unwrap();
}

// ---------------------------------------------------------------------------------------------
// Several processes: this binary again, as `child_process` with a role.

/// A pulling worker: handles `Job` (queue group) and `DurableJob` (JetStream), publishes `Done`;
/// stops on `Shutdown`. With `slow`, it announces each durable job and then never finishes it.
#[derive(Hooks)]
struct Worker {
    #[hooks(base)]
    service: Service,
    #[hooks(base)]
    bus: MessageBusClient,
    #[hooks(base)]
    pull: PullClient,
    id: u32,
    slow: bool,
}

#[hooks]
impl Worker {
    #[on_pull_message]
    async fn job(&mut self, job: &Job, ctx: &Context) {
        ctx.publish(Done { id: job.id, worker: self.id }).await;
    }

    #[on_pull_message]
    async fn durable(&mut self, job: &DurableJob, ctx: &Context) {
        if self.slow {
            ctx.publish(Started { id: job.id, worker: self.id }).await;
            tokio::time::sleep(Duration::from_secs(3600)).await;
        }
        ctx.publish(Done { id: job.id, worker: self.id }).await;
    }

    #[on_message]
    fn ping(&mut self, ping: &Ping, ctx: &Context) {
        let (n, from, ctx) = (ping.n, self.id, ctx.clone());
        ctx.clone().spawn(async move { ctx.publish(Pong { n, from }).await });
    }

    #[on_message]
    fn shutdown(&mut self, _: &Shutdown, ctx: &Context) {
        ctx.request_stop();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn child_process() {
    let Ok(role) = std::env::var("HOOKS_NATS_CHILD") else { return };
    let var = |name: &str| std::env::var(name).unwrap_or_else(|_| panic!("{name} is set by the parent"));
    let id: u32 = var("HOOKS_NATS_WORKER").parse().expect("a worker number");
    let mut nats = NatsTransport::new(var("HOOKS_NATS_URL"))
        .prefix(var("HOOKS_NATS_PREFIX"))
        .name(format!("worker-{id}"))
        .ack_wait(Duration::from_secs(1));
    if std::env::var("HOOKS_NATS_DURABLE").is_ok() {
        nats = nats.durable::<DurableJob>();
    }
    let runtime = Runtime::with_transport(nats).await.expect("the child connects");
    let worker = runtime.spawn(Worker {
        service: Service::default(),
        bus: MessageBusClient::default(),
        pull: PullClient::default(),
        id,
        slow: role == "slow",
    });
    // Once `start` returns its subscriptions are in effect on the server: ready for work.
    worker.start().await.expect("the worker starts");
    runtime.publish(Ready { worker: id }).await;
    worker.wait_stopped().await;
    runtime.stop_all().await.expect("stops");
}

/// Child processes, killed if still running when dropped.
struct Children(Vec<Child>);

impl Children {
    fn spawn(&mut self, server: &NatsServer, prefix: &str, role: &str, worker: u32, durable: bool) -> usize {
        let exe = std::env::current_exe().expect("this test binary");
        let mut command = Command::new(exe);
        command
            .args(["child_process", "--exact", "--nocapture", "--test-threads=1"])
            .env("HOOKS_NATS_CHILD", role)
            .env("HOOKS_NATS_URL", server.url())
            .env("HOOKS_NATS_PREFIX", prefix)
            .env("HOOKS_NATS_WORKER", worker.to_string())
            .stdout(Stdio::null())
            .stderr(Stdio::inherit());
        if durable {
            command.env("HOOKS_NATS_DURABLE", "1");
        }
        self.0.push(command.spawn().expect("the child process starts"));
        self.0.len() - 1
    }

    fn kill(&mut self, i: usize) {
        let _ = self.0[i].kill();
        let _ = self.0[i].wait();
    }

    /// Waits for every child still running to exit by itself; `true` if all exited cleanly.
    async fn wait_all(&mut self) -> bool {
        let mut clean = true;
        for child in &mut self.0 {
            let deadline = tokio::time::Instant::now() + PATIENCE;
            loop {
                match child.try_wait() {
                    Ok(Some(status)) => {
                        clean &= status.success();
                        break;
                    }
                    Ok(None) if tokio::time::Instant::now() < deadline => {
                        tokio::time::sleep(Duration::from_millis(20)).await;
                    }
                    _ => {
                        let _ = child.kill();
                        clean = false;
                        break;
                    }
                }
            }
        }
        clean
    }
}

impl Drop for Children {
    fn drop(&mut self) {
        for child in &mut self.0 {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// Waits for `n` lines starting with `prefix`, gives them (others are kept aside, in order).
async fn expect_lines(rx: &mut mpsc::UnboundedReceiver<String>, prefix: &str, n: usize) -> Vec<String> {
    let mut got = Vec::new();
    while got.len() < n {
        let line = within(prefix, rx.recv()).await.expect("the sink runs");
        if line.starts_with(prefix) {
            got.push(line);
        }
    }
    got
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn publish_and_pull_across_processes_each_job_to_exactly_one() {
    let Some(server) = NatsServer::start("processes") else { return };
    let prefix = "t4";
    let runtime = Runtime::with_transport(transport(&server, prefix, "controller")).await.expect("connects");
    let (sink, mut rx) = sink();
    runtime.spawn(sink).start().await.unwrap();
    let mut children = Children(Vec::new());
    for worker in 1..=3 {
        children.spawn(&server, prefix, "worker", worker, false);
    }
    expect_lines(&mut rx, "ready", 3).await;

    // Publish/subscribe between processes: each worker answers each ping.
    runtime.publish(Ping { n: 7 }).await;
    let mut pongs = expect_lines(&mut rx, "pong 7", 3).await;
    pongs.sort();
    assert_eq!(pongs, ["pong 7 from 1", "pong 7 from 2", "pong 7 from 3"]);

    // Pull: every job to exactly one of the three processes.
    const JOBS: u32 = 300;
    for id in 0..JOBS {
        runtime.push(Job { id }).await.expect("a puller takes it");
    }
    let done = expect_lines(&mut rx, "done", JOBS as usize).await;
    let mut by_id: BTreeMap<u32, Vec<String>> = BTreeMap::new();
    let mut workers = BTreeSet::new();
    for line in &done {
        let mut words = line.split(' ');
        let id: u32 = words.nth(1).and_then(|w| w.parse().ok()).expect("done {id} by {worker}");
        workers.insert(words.nth(1).map(str::to_owned));
        by_id.entry(id).or_default().push(line.clone());
    }
    assert_eq!(by_id.len(), JOBS as usize, "every job handled");
    assert!(by_id.values().all(|lines| lines.len() == 1), "each exactly once");
    assert_eq!(workers.len(), 3, "spread over the three processes: {workers:?}");

    runtime.publish(Shutdown).await;
    assert!(children.wait_all().await, "the workers stop by themselves, cleanly");
    // Nobody pulls any more: a push says so instead of vanishing.
    let refused = runtime.push(Job { id: 9999 }).await.expect_err("no puller");
    assert_eq!(refused.reason, Rejection::NoPuller);
    runtime.stop_all().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_worker_killed_mid_message_under_jetstream_loses_nothing() {
    let Some(server) = NatsServer::start("killed") else { return };
    let prefix = "t5";
    let runtime = Runtime::with_transport(transport(&server, prefix, "controller")).await.expect("connects");
    let (sink, mut rx) = sink();
    runtime.spawn(sink).start().await.unwrap();
    let mut children = Children(Vec::new());
    // Stored by the server before anyone pulls: durable work waits for its pullers.
    const JOBS: u32 = 20;
    for id in 0..JOBS {
        runtime.push(DurableJob { id }).await.expect("stored by JetStream");
    }
    let slow = children.spawn(&server, prefix, "slow", 1, true);
    let started = expect_lines(&mut rx, "started", 1).await;
    // Dies in the middle of its first job, with more fetched and not acknowledged.
    children.kill(slow);
    children.spawn(&server, prefix, "worker", 2, true);
    let done = expect_lines(&mut rx, "done", JOBS as usize).await;
    let ids: BTreeSet<u32> = done.iter().filter_map(|l| l.split(' ').nth(1)?.parse().ok()).collect();
    assert_eq!(ids.len(), JOBS as usize, "every job done, the killed one's too: {done:?}");
    assert!(done.iter().all(|l| l.ends_with("by 2")), "by the survivor: {done:?}");
    let first: u32 = started[0].split(' ').nth(1).and_then(|w| w.parse().ok()).unwrap();
    assert!(ids.contains(&first), "the job it died in was handled once more");

    runtime.publish(Shutdown).await;
    children.wait_all().await;
    runtime.stop_all().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_restart_mid_run_loses_no_acknowledged_work() {
    let Some(mut server) = NatsServer::start("restart") else { return };
    let prefix = "t6";
    let producer = Runtime::with_transport(transport(&server, prefix, "producer")).await.expect("connects");
    let consumer = Runtime::with_transport(transport(&server, prefix, "consumer")).await.expect("connects");
    let (sink, mut rx) = sink();
    consumer.spawn(sink).start().await.unwrap();
    let worker = consumer.spawn(Worker {
        service: Service::default(),
        bus: MessageBusClient::default(),
        pull: PullClient::default(),
        id: 1,
        slow: false,
    });
    worker.start().await.unwrap();

    let mut acknowledged = BTreeSet::new();
    for id in 0..10 {
        producer.push(DurableJob { id }).await.expect("stored");
        acknowledged.insert(id);
    }
    server.restart();
    // During and after the restart: a push either is acknowledged (stored) or fails clearly.
    let mut refused = 0;
    for id in 10..30 {
        match producer.push(DurableJob { id }).await {
            Ok(()) => {
                acknowledged.insert(id);
            }
            Err(error) => {
                assert_eq!(error.reason, Rejection::Unavailable, "{error}");
                refused += 1;
            }
        }
    }
    assert!(acknowledged.len() + refused == 30);
    let mut done = BTreeSet::new();
    while !acknowledged.is_subset(&done) {
        let line = within("every acknowledged job done", rx.recv()).await.expect("the sink runs");
        if let Some(id) = line.strip_prefix("done ").and_then(|l| l.split(' ').next()?.parse::<u32>().ok()) {
            done.insert(id);
        }
    }
    // A publish during an outage: buffered, or a clear error; never lost silently.
    server.kill();
    let outage = producer.publish_remote(Ping { n: 1 }).await;
    assert!(matches!(outage, Ok(_) | Err(TransportError::Unavailable { .. })), "{outage:?}");
    server.restart();
    producer.stop_all().await.unwrap();
    consumer.stop_all().await.unwrap();
}

/// Pulls `Job`s slowly, counting them.
#[derive(Hooks, Default)]
struct SlowPuller {
    #[hooks(base)]
    service: Service,
    #[hooks(base)]
    pull: PullClient,
    handled: Vec<u32>,
}

#[hooks]
impl SlowPuller {
    #[on_pull_message]
    async fn job(&mut self, job: &Job) {
        tokio::time::sleep(Duration::from_millis(5)).await;
        self.handled.push(job.id);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stop_handles_every_push_this_process_accepted() {
    let Some(server) = NatsServer::start("drain") else { return };
    let producer = Runtime::with_transport(transport(&server, "t7", "producer")).await.expect("connects");
    let workers = Runtime::with_transport(transport(&server, "t7", "workers")).await.expect("connects");
    let puller = workers.spawn(SlowPuller::default());
    puller.start().await.unwrap();
    // Each push returns once the workers' process accepted it; most are still queued there.
    for id in 0..40 {
        producer.push(Job { id }).await.expect("accepted");
    }
    let handled = within("the stop", puller.stop()).await.unwrap().handled;
    assert_eq!(handled, (0..40).collect::<Vec<_>>(), "every accepted push handled, in order, before stop returned");
    // Nobody pulls now: refused, handed back.
    let refused = producer.push(Job { id: 40 }).await.expect_err("no puller left");
    assert_eq!((refused.reason, refused.into_payload::<Job>().map(|j| j.id).ok()), (Rejection::NoPuller, Some(40)));
    workers.stop_all().await.unwrap();
    producer.stop_all().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn publishes_during_an_outage_are_buffered_up_to_the_bound_then_refused() {
    let Some(mut server) = NatsServer::start("outage") else { return };
    let bounded = transport(&server, "t8", "sender")
        .buffer(4)
        .publish_timeout(Duration::from_millis(50))
        .request_timeout(Duration::from_millis(500));
    let sender = Runtime::with_transport(bounded).await.expect("connects");
    server.kill();
    // Until the client sees the connection gone, a publish may still go to the socket; after,
    // the outbound buffer fills and each publish past it fails within the publish timeout.
    let (mut accepted, mut refused) = (0, 0);
    for n in 0..64 {
        match within("a publish during the outage", sender.publish_remote(Ping { n })).await {
            Ok(_) => accepted += 1,
            Err(TransportError::Unavailable { subject, reason }) => {
                assert_eq!(subject, "t8.msg.Ping");
                assert!(reason.contains("outbound buffer"), "{reason}");
                refused += 1;
            }
            Err(other) => panic!("expected TransportError::Unavailable, got {other}"),
        }
    }
    assert!(refused > 0, "no bound: {accepted} publishes accepted during the outage");
    assert_eq!(accepted + refused, 64);
    // A component started during the outage starts (its subscription cannot be confirmed: start
    // waits at most the request timeout for it), and listens once the server is back.
    let (late, mut late_rx) = sink();
    within("a start during the outage", sender.spawn(late).start()).await.unwrap();
    // So does a durable puller (its JetStream consumer is made once the server is back).
    let worker =
        Worker { service: Service::default(), bus: Default::default(), pull: Default::default(), id: 7, slow: false };
    within("a durable puller's start during the outage", sender.spawn(worker).start()).await.unwrap();
    // The runtime goes on once the server is back.
    server.restart();
    let receiver = Runtime::with_transport(transport(&server, "t8", "receiver")).await.expect("connects");
    let (sink, mut rx) = sink();
    receiver.spawn(sink).start().await.unwrap();
    within("the sender reconnected", async {
        while sender.publish_remote(Ping { n: 1000 }).await.is_err() {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await;
    // Core NATS is at most once: what was buffered may reach the receiver before it subscribed,
    // so this waits for a publish made after both are connected.
    loop {
        sender.publish_remote(Ping { n: 2000 }).await.expect("connected");
        let line = within("a publish after the outage", rx.recv()).await.expect("the sink runs");
        if line == "ping 2000" {
            break;
        }
    }
    // The components started during the outage hear the other process: a publish, and durable
    // work (its `Done` reaches the sink of the same process).
    loop {
        receiver.publish_remote(Ping { n: 3000 }).await.expect("connected");
        let line = within("a publish to the component started during the outage", late_rx.recv()).await;
        if line.as_deref() == Some("ping 3000") {
            break;
        }
    }
    receiver.push(DurableJob { id: 77 }).await.expect("stored by JetStream");
    loop {
        let line = within("durable work for the puller started during the outage", late_rx.recv()).await;
        if line.as_deref() == Some("done 77 by 7") {
            break;
        }
    }
    sender.stop_all().await.unwrap();
    receiver.stop_all().await.unwrap();
}

/// A runtime whose server is gone for good still stops: unsubscribing and flushing wait at most
/// the request timeout, and what the handlers hold is handed back.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stop_all_during_an_outage_returns() {
    let Some(mut server) = NatsServer::start("outage-stop") else { return };
    let bounded = transport(&server, "t10", "alone")
        .buffer(4)
        .publish_timeout(Duration::from_millis(50))
        .request_timeout(Duration::from_millis(500));
    let runtime = Runtime::with_transport(bounded).await.expect("connects");
    let (sink, mut rx) = sink();
    runtime.spawn(sink).start().await.unwrap();
    runtime.spawn_named("counter", Counter::default()).start().await.unwrap();
    server.kill();
    // The outbound buffer fills (and the local subscriber gets each publish).
    for n in 0..16 {
        let _ = within("a publish during the outage", runtime.publish_remote(Ping { n })).await;
    }
    within("stop_all during the outage", runtime.stop_all()).await.unwrap();
    let mut local = 0;
    while rx.try_recv().is_ok() {
        local += 1;
    }
    assert_eq!(local, 16, "every publish reached the local subscriber");
}

/// A durable puller started while the server is down (its consumer cannot be made: JetStream's
/// API times out) pulls once the server is back.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_durable_puller_started_during_an_outage_pulls_once_the_server_is_back() {
    let Some(mut server) = NatsServer::start("outage-durable") else { return };
    let quick = |name| transport(&server, "t11", name).request_timeout(Duration::from_millis(300));
    let pulling = Runtime::with_transport(quick("pulling")).await.expect("connects");
    let producer = Runtime::with_transport(quick("producer")).await.expect("connects");
    let (sink, mut rx) = sink();
    pulling.spawn(sink).start().await.unwrap();
    server.kill();
    let worker =
        Worker { service: Service::default(), bus: Default::default(), pull: Default::default(), id: 3, slow: false };
    within("a start during the outage", pulling.spawn(worker).start()).await.unwrap();
    // The outage outlasts a few of JetStream's API timeouts (300 ms here): the first attempt to
    // make the consumer fails.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    server.restart();
    within("the producer reconnected", async {
        while producer.push(DurableJob { id: 5 }).await.is_err() {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    })
    .await;
    loop {
        let line = within("the job pulled after the outage", rx.recv()).await;
        if line.as_deref() == Some("done 5 by 3") {
            break;
        }
    }
    pulling.stop_all().await.unwrap();
    producer.stop_all().await.unwrap();
}

#[derive(Message, Serialize, Deserialize, Debug, Clone)]
#[message(serde, reply = u32)]
struct Explode;

#[derive(Message, Serialize, Deserialize, Debug, Clone)]
#[message(serde, reply = u32)]
struct Hang;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_remote_handler_that_panics_or_hangs_is_an_error_to_the_caller_and_the_stop_budget_holds() {
    let Some(server) = NatsServer::start("faults") else { return };
    // The answers come within the default 5 s however loaded the machine; only the hang is asked
    // by a caller with a short request timeout.
    let caller = Runtime::with_transport(transport(&server, "t9", "caller")).await.expect("connects");
    let impatient = transport(&server, "t9", "impatient").request_timeout(Duration::from_millis(300));
    let impatient = Runtime::with_transport(impatient).await.expect("connects");
    let callee = Runtime::with_transport(transport(&server, "t9", "callee")).await.expect("connects");
    let faulty = callee.spawn_named("faulty", Counter::default());
    faulty.start().await.unwrap();

    // A panic is a failure carried back as a panic, with its message; the component goes on.
    match within("the panicking command", caller.command(Explode)).await {
        Err(CallError::Failed { component, errors, .. }) => {
            assert_eq!(&*component, "faulty");
            let [error] = errors.errors() else { panic!("one failure: {errors:?}") };
            assert!(matches!(error, HookError::Panicked { .. }), "{error:?}");
            assert!(error.to_string().contains("the handler exploded"), "{error}");
        }
        other => panic!("expected CallError::Failed, got {other:?}"),
    }
    assert_eq!(within("a command after the panic", caller.command(Count { add: 2 })).await.unwrap(), 2);

    // A hang: the caller gets TimedOut (its request timeout), it does not wait on.
    match within("the hanging command", impatient.command(Hang)).await {
        Err(CallError::TimedOut { .. }) => {}
        other => panic!("expected CallError::TimedOut, got {other:?}"),
    }
    // The callee is still inside the hung handler: its stop is bounded by its budget and says so.
    match within("the bounded stop", faulty.stop_with_timeout(Duration::from_millis(200))).await {
        Err(LifecycleError::TimedOut { .. }) => {}
        other => panic!("expected LifecycleError::TimedOut, got {:?}", other.map(|_| "stopped")),
    }
    impatient.stop_all().await.unwrap();
    caller.stop_all().await.unwrap();
    callee.stop_all().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn pushes_and_commands_from_many_senders_while_the_workers_stop_are_each_handled_once_or_refused() {
    let Some(server) = NatsServer::start("senders") else { return };
    let producer = Runtime::with_transport(transport(&server, "t10", "producer")).await.expect("connects");
    let workers = Runtime::with_transport(transport(&server, "t10", "workers")).await.expect("connects");
    let puller = workers.spawn(SlowPuller::default());
    puller.start().await.unwrap();
    let counter = workers.spawn_named("counter", Counter::default());
    counter.start().await.unwrap();

    // 8 senders, each pushing its own ids and sending commands, while the workers stop.
    let (going, mut under_way) = mpsc::unbounded_channel();
    let senders: Vec<_> = (0..8u32)
        .map(|sender| {
            let (producer, going) = (producer.clone(), going.clone());
            tokio::spawn(async move {
                let (mut accepted, mut refused, mut answered) = (Vec::new(), Vec::new(), 0u32);
                for i in 0..25u32 {
                    let id = sender * 1000 + i;
                    match producer.push(Job { id }).await {
                        Ok(()) => accepted.push(id),
                        Err(error) => {
                            let back = error.into_payload::<Job>().map(|job| job.id).ok();
                            assert_eq!(back, Some(id), "a refused push hands its message back");
                            refused.push(id);
                        }
                    }
                    match producer.command(Count { add: 1 }).await {
                        Ok(_) => answered += 1,
                        Err(CallError::NoHandler { .. } | CallError::Rejected(_)) => {}
                        Err(other) => panic!("a command while stopping: {other:?}"),
                    }
                    if i == 2 {
                        let _ = going.send(());
                    }
                }
                (accepted, refused, answered)
            })
        })
        .collect();
    // The stops begin once every sender is under way.
    for _ in 0..8 {
        within("the senders under way", under_way.recv()).await.expect("a sender");
    }
    let (handled, counted) = within("the stops", async {
        let handled = puller.stop().await.unwrap().handled;
        let counted = counter.stop().await.unwrap().total;
        (handled, counted)
    })
    .await;
    let (mut accepted, mut answered) = (Vec::new(), 0);
    for sender in senders {
        let (a, r, n) = within("a sender", sender).await.expect("the sender did not panic");
        assert_eq!(a.len() + r.len(), 25);
        accepted.extend(a);
        answered += n;
    }
    let mut handled_sorted = handled.clone();
    handled_sorted.sort_unstable();
    accepted.sort_unstable();
    assert_eq!(handled_sorted, accepted, "every accepted push handled exactly once, nothing refused was handled");
    assert_eq!(counted, answered, "every answered command counted once");
    producer.stop_all().await.unwrap();
    workers.stop_all().await.unwrap();
}
