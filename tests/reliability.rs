//! Faults (issue 11): work queues without pullers, a start that fails with work queued, stops
//! that run out of budget, a component calling itself, `with` under load, panics in every place
//! user code runs. Each test tries to break one guarantee of DESIGN.md.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use hooks_runtime::prelude::*;
use hooks_runtime::{CallError, Rejection};

#[derive(Debug, Clone, Copy, PartialEq)]
enum Kind {
    Event,
    Cmd,
    Job,
    Hang,
}

/// What the hooks did, in order (the runtime's own test recorder).
type Log = hooks_runtime::testing::Recorder;

fn taken(log: &Log) -> Vec<String> {
    log.take()
}

// ---------------------------------------------------------------------------------------------
// Work queues: no accepted work without a place to go.

#[derive(Hooks, Default)]
struct Puller {
    #[hooks(base)]
    service: Service,
    #[hooks(base)]
    pulls: PullClient,
    name: &'static str,
    log: Log,
}

#[hooks]
impl Puller {
    #[on_pull_message(Kind::Job)]
    fn job(&mut self, n: &u32) {
        self.log.record(format!("{} {n}", self.name));
    }
}

#[tokio::test]
async fn a_push_without_a_running_puller_is_refused_and_hands_the_message_back() {
    let runtime = Runtime::new();
    let err = runtime.push(Message::new(Kind::Job, 1u32)).await.unwrap_err();
    assert_eq!(err.reason, Rejection::NoPuller);
    assert_eq!(err.into_message().payload::<u32>(), Some(&1));
    // Thousands of types without pullers: every push refused at once, none blocks.
    for n in 0..20_000u32 {
        let err = runtime.push(Message::new(format!("type {n}"), n)).await.unwrap_err();
        assert_eq!(err.reason, Rejection::NoPuller);
    }
    // A puller that is spawned but not started does not pull.
    let log = Log::default();
    let h = runtime.spawn(Puller { name: "a", log: log.clone(), ..Puller::default() });
    assert!(runtime.push(Message::new(Kind::Job, 2u32)).await.is_err());
    h.start().await.unwrap();
    runtime.push(Message::new(Kind::Job, 3u32)).await.unwrap();
    h.stop().await.unwrap();
    assert_eq!(taken(&log), ["a 3"]);
    assert_eq!(runtime.push(Message::new(Kind::Job, 4u32)).await.unwrap_err().reason, Rejection::NoPuller);
}

#[tokio::test]
async fn the_last_puller_handles_what_its_queue_holds_before_it_stops_and_others_keep_pulling() {
    let runtime = Runtime::new();
    let log = Log::default();
    let a = runtime.spawn(Puller { name: "a", log: log.clone(), ..Puller::default() });
    let b = runtime.spawn(Puller { name: "b", log: log.clone(), ..Puller::default() });
    a.start().await.unwrap();
    b.start().await.unwrap();
    a.stop().await.unwrap();
    // `b` is still running: the queue stays and `b` takes the work.
    for n in 0..100u32 {
        runtime.push(Message::new(Kind::Job, n)).await.unwrap();
    }
    b.stop().await.unwrap();
    let handled = taken(&log);
    assert_eq!(handled.len(), 100, "each pushed message handled once: {handled:?}");
    assert!(handled.iter().all(|h| h.starts_with("b ")));
    assert!(runtime.push(Message::new(Kind::Job, 0u32)).await.is_err(), "nothing stranded after the last puller");
}

// ---------------------------------------------------------------------------------------------
// A start that fails hands back what its mailbox holds; nothing runs after the rollback.

#[derive(Hooks, Default, Debug)]
struct FailsToStart {
    #[hooks(base)]
    service: Service,
    #[hooks(base)]
    bus: MessageBusClient,
    #[hooks(base)]
    commands: CommandHandler,
    log: Log,
}

#[hooks]
impl FailsToStart {
    #[on_start]
    async fn start(&mut self) -> Result<(), std::io::Error> {
        tokio::time::sleep(Duration::from_secs(1)).await;
        Err(std::io::Error::other("no disk"))
    }

    #[on_message(Kind::Event)]
    fn event(&mut self, _: &Message) {
        self.log.record("event");
    }

    #[on_command(Kind::Cmd)]
    fn cmd(&mut self, _: &Message) {
        self.log.record("cmd");
    }

    #[on_stop]
    fn stop(&mut self) {
        self.log.record("on_stop");
    }
}

#[tokio::test(start_paused = true)]
async fn a_failed_start_answers_queued_calls_and_nothing_runs_after_its_rollback() {
    let runtime = Runtime::new();
    let log = Log::default();
    let h = runtime.spawn(FailsToStart { log: log.clone(), ..FailsToStart::default() });
    let starting = tokio::spawn({
        let h = h.clone();
        async move { h.start().await }
    });
    while h.state() != LifecycleState::Starting {
        tokio::task::yield_now().await;
    }
    // Sent while starting: buffered.
    h.publish(Message::new(Kind::Event, 7u32)).await.unwrap();
    let call = tokio::spawn({
        let h = h.clone();
        async move { h.command(Message::new(Kind::Cmd, 8u32)).await }
    });
    let err = starting.await.unwrap().unwrap_err();
    assert_eq!(err.errors()[0].method(), "start");
    assert_eq!(h.state(), LifecycleState::Failed);
    // The call is answered: its message comes back.
    match tokio::time::timeout(Duration::from_secs(60), call).await.expect("answered").unwrap() {
        Err(CallError::Rejected(rejected)) => assert_eq!(rejected.message.payload::<u32>(), Some(&8)),
        other => panic!("{other:?}"),
    }
    // The message is kept as a dead letter, with the start's failure.
    let letters = runtime.dead_letters();
    assert_eq!(letters.len(), 1);
    assert_eq!(letters[0].message.payload::<u32>(), Some(&7));
    // Sends after the failure are refused.
    assert_eq!(h.publish(Message::signal(Kind::Event)).await.unwrap_err().reason, Rejection::Stopped);
    let c = h.stop().await.unwrap();
    assert_eq!(taken(&c.log), ["on_stop"], "the rollback ran once; no handler ran after it");
}

// ---------------------------------------------------------------------------------------------
// A stop budget bounds the whole stop.

#[derive(Hooks, Default, Debug)]
struct Stuck {
    #[hooks(base)]
    service: Service,
    #[hooks(base)]
    commands: CommandHandler,
    hang_on_start: bool,
    hang_entering_stopping: bool,
    log: Log,
}

#[hooks]
impl Stuck {
    #[on_start]
    async fn warm_up(&mut self) {
        if self.hang_on_start {
            std::future::pending::<()>().await;
        }
    }

    #[on_state_change]
    async fn changed(&mut self, _old: LifecycleState, new: LifecycleState) {
        if self.hang_entering_stopping && new == LifecycleState::Stopping {
            std::future::pending::<()>().await;
        }
    }

    #[on_command(Kind::Hang)]
    async fn never_answers(&mut self, _: &Message) {
        std::future::pending::<()>().await;
    }

    #[on_stop]
    fn stop(&mut self) {
        self.log.record("on_stop");
    }
}

/// `stop_with_timeout(2s)` returns within the budget (and its grace) with an error naming `method`.
async fn times_out_naming(h: &Handle<Stuck>, method: &str) {
    let began = tokio::time::Instant::now();
    let err = h.stop_with_timeout(Duration::from_secs(2)).await.unwrap_err();
    assert!(began.elapsed() <= Duration::from_millis(2100), "bounded: {:?}", began.elapsed());
    assert!(matches!(err, LifecycleError::TimedOut { .. }), "{err}");
    match err.errors() {
        [HookError::TimedOut { method: m, .. }] => assert_eq!(m, method, "{err}"),
        other => panic!("{other:?}"),
    }
    assert_eq!(h.state(), LifecycleState::Stopped);
    assert!(matches!(h.stop().await, Err(LifecycleError::Gone { .. })));
}

/// A `Stuck` component of `runtime` in a command handler that never returns, stopped with a 2 s
/// budget: the stop times out naming the handler, and the caller hears back.
async fn stop_behind_a_hung_command(runtime: &Runtime) {
    let h = runtime.spawn(Stuck::default());
    h.start().await.unwrap();
    let call = tokio::spawn({
        let h = h.clone();
        async move { h.command(Message::signal(Kind::Hang)).await }
    });
    tokio::time::sleep(Duration::from_millis(10)).await;
    times_out_naming(&h, "never_answers").await;
    assert!(call.await.unwrap().is_err(), "the caller hears back");
}

#[tokio::test(start_paused = true)]
async fn a_stop_budget_bounds_a_stop_behind_a_command_handler_that_never_returns() {
    stop_behind_a_hung_command(&Runtime::new()).await;
}

#[tokio::test(start_paused = true)]
async fn a_component_cancelled_past_its_stop_budget_leaves_the_bus() {
    let runtime = Runtime::new();
    stop_behind_a_hung_command(&runtime).await;
    // Its call routes went with it: nobody answers, rather than a dead component refusing.
    let after = runtime.command(Message::signal(Kind::Hang)).await;
    assert!(matches!(after, Err(CallError::NoHandler { .. })), "{after:?}");
}

#[tokio::test(start_paused = true)]
async fn a_stop_budget_bounds_a_stop_that_arrives_during_a_hung_start() {
    let runtime = Runtime::new();
    let h = runtime.spawn(Stuck { hang_on_start: true, ..Stuck::default() });
    let start = tokio::spawn({
        let h = h.clone();
        async move { h.start().await }
    });
    tokio::time::sleep(Duration::from_millis(10)).await;
    assert_eq!(h.state(), LifecycleState::Starting);
    times_out_naming(&h, "warm_up").await;
    assert!(start.await.unwrap().is_err());
}

#[tokio::test(start_paused = true)]
async fn a_stop_budget_caps_a_hung_state_change_hook_and_the_component_is_still_handed_back() {
    let runtime = Runtime::new();
    let log = Log::default();
    let h = runtime.spawn(Stuck { hang_entering_stopping: true, log: log.clone(), ..Stuck::default() });
    h.start().await.unwrap();
    let began = tokio::time::Instant::now();
    let err = h.stop_with_timeout(Duration::from_secs(1)).await.unwrap_err();
    assert!(began.elapsed() <= Duration::from_secs(1), "{:?}", began.elapsed());
    // The stop path collects the state observer's failure, and still hands the component back.
    match err.errors() {
        [HookError::TimedOut { method, .. }] => assert_eq!(method, "changed"),
        other => panic!("{other:?}"),
    }
    let c: Stuck = err.take_component().expect("handed back");
    assert_eq!(taken(&c.log), ["on_stop"], "the stop hooks ran after the hung one was cancelled");
}

#[tokio::test(start_paused = true)]
async fn stop_all_with_a_budget_names_what_overran_and_still_stops_the_others() {
    let runtime = Runtime::new();
    let log = Log::default();
    let first = runtime.spawn(Stuck { log: log.clone(), ..Stuck::default() });
    let hung = runtime.spawn(Stuck { log: log.clone(), ..Stuck::default() });
    first.start().await.unwrap();
    hung.start().await.unwrap();
    let call = tokio::spawn({
        let hung = hung.clone();
        async move { hung.command(Message::signal(Kind::Hang)).await }
    });
    tokio::time::sleep(Duration::from_millis(10)).await;
    // Reverse start order: `hung` first; it overruns, and `first` still stops.
    let errors = runtime.stop_all_with_timeout(Duration::from_secs(1)).await.unwrap_err();
    match errors.errors() {
        [HookError::TimedOut { method, .. }] => assert_eq!(method, "never_answers"),
        other => panic!("{other:?}"),
    }
    assert_eq!(taken(&log), ["on_stop"], "the other component stopped");
    assert!(runtime.components().is_empty());
    assert!(call.await.unwrap().is_err());
}

// ---------------------------------------------------------------------------------------------
// A component calling itself gets an error, never a deadlock.

#[derive(Hooks, Default)]
struct Selfish {
    #[hooks(base)]
    service: Service,
    #[hooks(base)]
    commands: CommandHandler,
    me: Arc<OnceLock<Handle<Selfish>>>,
    log: Log,
}

#[hooks]
impl Selfish {
    #[on_command(Kind::Cmd)]
    async fn poke(&mut self, _: &Message) {
        let me = self.me.get().expect("set after spawn").clone();
        let stop = me.stop().await.err().map(|e| e.to_string());
        let with = me.with(|_| ()).await.err().map(|e| e.to_string());
        let call = me.command(Message::signal(Kind::Cmd)).await.err().map(|e| e.to_string());
        me.wait_stopped().await;
        for e in [stop, with, call] {
            self.log.record(e.unwrap_or_default());
        }
    }
}

#[tokio::test(start_paused = true)]
async fn calls_on_its_own_handle_from_a_hook_are_refused_at_once() {
    let runtime = Runtime::new();
    let me = Arc::new(OnceLock::new());
    let h = runtime.spawn(Selfish { me: me.clone(), ..Selfish::default() });
    let _ = me.set(h.clone());
    h.start().await.unwrap();
    tokio::time::timeout(Duration::from_secs(5), h.command(Message::signal(Kind::Cmd)))
        .await
        .expect("no deadlock")
        .unwrap();
    let log = h.with(|c| c.log.entries()).await.unwrap();
    assert!(log[0].contains("from one of its own hooks") && log[0].contains("request_stop"), "{}", log[0]);
    assert!(log[1].contains("from one of its own hooks"), "{}", log[1]);
    assert!(log[2].contains("cannot call itself"), "{}", log[2]);
    // It keeps working, and stops normally from outside.
    assert_eq!(h.state(), LifecycleState::Running);
    h.stop().await.unwrap();
}

// ---------------------------------------------------------------------------------------------
// `with` returns after the messages accepted before it, under sustained load.

#[derive(Hooks, Default)]
struct Slow {
    #[hooks(base)]
    service: Service,
    #[hooks(base)]
    bus: MessageBusClient,
    handled: usize,
}

#[hooks]
impl Slow {
    #[on_message(Kind::Event)]
    async fn event(&mut self, _: &Message) {
        tokio::time::sleep(Duration::from_millis(1)).await;
        self.handled += 1;
    }
}

#[tokio::test(start_paused = true)]
async fn with_returns_under_sustained_load() {
    let runtime = Runtime::new();
    let h = runtime.spawn(Slow::default());
    h.start().await.unwrap();
    let done = Arc::new(AtomicBool::new(false));
    let sent = Arc::new(AtomicUsize::new(0));
    let publishers: Vec<_> = (0..4)
        .map(|_| {
            let (h, done, sent) = (h.clone(), done.clone(), sent.clone());
            tokio::spawn(async move {
                for _ in 0..100_000 {
                    if done.load(Ordering::Relaxed) || h.publish(Message::signal(Kind::Event)).await.is_err() {
                        return;
                    }
                    sent.fetch_add(1, Ordering::Relaxed);
                }
            })
        })
        .collect();
    // Let the mailbox fill up.
    tokio::time::sleep(Duration::from_millis(50)).await;
    let before = sent.load(Ordering::Relaxed);
    let handled = tokio::time::timeout(Duration::from_secs(60), h.with(|c| c.handled)).await.expect("with returns");
    assert!(handled.unwrap() >= before, "it saw every message accepted before it");
    done.store(true, Ordering::Relaxed);
    for p in publishers {
        p.await.unwrap();
    }
    let c = h.stop().await.unwrap();
    assert_eq!(c.handled, sent.load(Ordering::Relaxed), "and the rest were handled by the stop");
}

// ---------------------------------------------------------------------------------------------
// A panic in any user code on the component's task is reported, never fatal.

#[derive(Hooks, Default)]
struct PanickyParams {
    #[hooks(base)]
    service: Service,
    #[hooks(base)]
    bus: MessageBusClient,
    log: Log,
}

#[hooks]
impl PanickyParams {
    #[on_message(|_this: &Self| -> Vec<Kind> { panic!("no kinds today") })]
    fn event(&mut self, _: &Message) {}

    #[on_stop]
    fn stop(&mut self, reason: &StopReason) {
        self.log.record(format!("on_stop {}", matches!(reason, StopReason::Failed(_))));
    }
}

#[derive(Hooks, Default)]
struct PanickyInterval {
    #[hooks(base)]
    service: Service,
}

#[hooks]
impl PanickyInterval {
    #[background_task(interval = |_this: &Self| -> Duration { panic!("no interval") })]
    fn tick(&mut self) {}
}

/// A key whose `Debug` panics (keys are compared by their `Debug` text).
struct BadKey;

impl std::fmt::Debug for BadKey {
    fn fmt(&self, _: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        panic!("bad key")
    }
}

#[derive(Hooks, Default)]
struct PanickyKey {
    #[hooks(base)]
    service: Service,
    #[hooks(base)]
    bus: MessageBusClient,
}

#[hooks]
impl PanickyKey {
    #[on_message(BadKey)]
    fn event(&mut self, _: &Message) {}
}

#[tokio::test]
async fn a_params_closure_or_key_that_panics_fails_the_start_with_a_rollback() {
    let runtime = Runtime::new();
    let log = Log::default();
    let h = runtime.spawn(PanickyParams { log: log.clone(), ..PanickyParams::default() });
    let err = h.start().await.unwrap_err();
    match err.errors() {
        [HookError::Panicked { method, message, .. }] => {
            assert_eq!(method, "event");
            assert!(message.contains("no kinds today"), "{message}");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(h.state(), LifecycleState::Failed);
    assert_eq!(taken(&log), ["on_stop true"], "rolled back");
    h.stop().await.unwrap();

    let h = runtime.spawn(PanickyInterval::default());
    let err = h.start().await.unwrap_err();
    assert!(err.to_string().contains("no interval"), "{err}");
    assert!(matches!(err.errors(), [HookError::Panicked { .. }]));
    h.stop().await.unwrap();

    let h = runtime.spawn(PanickyKey::default());
    let err = h.start().await.unwrap_err();
    assert!(err.to_string().contains("bad key"), "{err}");
    h.stop().await.unwrap();
}

#[derive(Hooks, Default, Debug)]
struct Counter {
    #[hooks(base)]
    service: Service,
    #[hooks(base)]
    bus: MessageBusClient,
    n: u32,
}

#[hooks]
impl Counter {
    #[on_message(Kind::Event)]
    fn event(&mut self, _: &Message) {
        self.n += 1;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_observer_that_panics_is_reported_and_the_message_still_handled() {
    let runtime = Runtime::new();
    runtime.observe(|_| panic!("observer down"));
    let h = runtime.spawn(Counter::default());
    h.start().await.unwrap();
    assert_eq!(runtime.publish(Message::signal(Kind::Event)).await, 1);
    h.publish(Message::signal(Kind::Event)).await.unwrap();
    assert_eq!(h.with(|c| c.n).await.unwrap(), 2);
    assert_eq!(h.state(), LifecycleState::Running);
    assert_eq!(h.stop().await.unwrap().n, 2);
}

#[tokio::test]
async fn a_with_closure_that_panics_returns_an_error_and_the_component_goes_on() {
    let runtime = Runtime::new();
    let h = runtime.spawn(Counter::default());
    h.start().await.unwrap();
    let err = h.with(|_| -> u32 { panic!("inspector down") }).await.unwrap_err();
    match &err {
        LifecycleError::Panicked { message, .. } => assert_eq!(message, "inspector down"),
        other => panic!("{other:?}"),
    }
    h.publish(Message::signal(Kind::Event)).await.unwrap();
    assert_eq!(h.with(|c| c.n).await.unwrap(), 1);
    assert_eq!(h.state(), LifecycleState::Running);
    h.stop().await.unwrap();
}

#[tokio::test]
async fn an_error_handler_that_panics_is_reported_and_the_run_goes_on() {
    let runtime = Runtime::new();
    let mut c = Counter::default();
    c.attach_hook_with::<OnMessage, _, _>(
        HookSpec::new("flaky").on_error(|_| panic!("handler down")),
        |_: &mut Counter, _: &Message| Err::<(), _>("flaky"),
    )
    .unwrap();
    c.attach_hook::<OnMessage>("after", |c: &mut Counter, _: &Message| c.n += 10, ()).unwrap();
    let errors = c.run_hooks_with::<OnMessage>(&Message::signal(Kind::Event)).await.unwrap_err();
    assert_eq!(errors.errors().len(), 1, "the failing hook, reported once");
    assert_eq!(c.n, 11, "the hooks around it ran");
    let h = runtime.spawn(c);
    h.start().await.unwrap();
    h.stop().await.unwrap();
}

// ---------------------------------------------------------------------------------------------
// Shutdown: a trigger, then every component stopped within its budget, what overran reported.

#[tokio::test(start_paused = true)]
async fn shutdown_when_stops_everything_in_reverse_within_the_budget_and_reports_what_overran() {
    let runtime = Runtime::new();
    let log = Log::default();
    let first = runtime.spawn(Stuck { log: log.clone(), ..Stuck::default() });
    let hung = runtime.spawn(Stuck { log: log.clone(), ..Stuck::default() });
    runtime.start_all().await.unwrap();
    let call = tokio::spawn({
        let hung = hung.clone();
        async move { hung.command(Message::signal(Kind::Hang)).await }
    });
    let (trigger, signal) = tokio::sync::oneshot::channel::<()>();
    let shutdown = tokio::spawn({
        let runtime = runtime.clone();
        async move {
            runtime
                .shutdown_when(
                    async {
                        let _ = signal.await;
                    },
                    Duration::from_secs(3),
                )
                .await
        }
    });
    tokio::time::sleep(Duration::from_secs(60)).await;
    assert!(!shutdown.is_finished(), "runs until the trigger");
    let began = tokio::time::Instant::now();
    trigger.send(()).unwrap();
    let errors = shutdown.await.unwrap().unwrap_err();
    assert!(began.elapsed() <= Duration::from_millis(3_100), "{:?}", began.elapsed());
    match errors.errors() {
        [HookError::TimedOut { method, .. }] => assert_eq!(method, "never_answers"),
        other => panic!("{other:?}"),
    }
    assert_eq!(taken(&log), ["on_stop"], "the other one stopped");
    assert_eq!((first.state(), hung.state()), (LifecycleState::Stopped, LifecycleState::Stopped));
    assert!(call.await.unwrap().is_err());
}

// ---------------------------------------------------------------------------------------------
// A plain closure that blocks cannot be preempted, but the budget still bounds the stop as the
// caller sees it (a multi_thread runtime: the blocked worker is not the caller's), naming what
// the component was running. The closures block until the test releases them.

/// Once the blocking closure has started, stops `h` with a small budget.
async fn stop_once_blocked(h: &Handle<Counter>, started: std::sync::mpsc::Receiver<()>) -> LifecycleError {
    tokio::task::spawn_blocking(move || started.recv()).await.unwrap().expect("the closure runs");
    // A real budget (a blocked thread cannot be driven by a paused clock); nothing asserts on time.
    h.stop_with_timeout(Duration::from_millis(50)).await.unwrap_err()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_budget_bounds_a_stop_behind_a_blocking_with_closure_or_observer() {
    // A `with` closure that blocks.
    let runtime = Runtime::new();
    let h = runtime.spawn(Counter::default());
    h.start().await.unwrap();
    let (started_tx, started_rx) = std::sync::mpsc::channel::<()>();
    let (release_tx, release_rx) = std::sync::mpsc::channel::<()>();
    let handle = h.clone();
    tokio::spawn(async move {
        let _ = handle
            .with(move |_| {
                let _ = started_tx.send(());
                let _ = release_rx.recv();
            })
            .await;
    });
    let err = stop_once_blocked(&h, started_rx).await;
    match err.errors() {
        [HookError::TimedOut { method, .. }] => assert_eq!(method, "a `Handle::with` closure"),
        other => panic!("{other:?}"),
    }
    assert_eq!(h.state(), LifecycleState::Stopped);
    let _ = release_tx.send(());

    // An observer that blocks while the component receives a message.
    let runtime = Runtime::new();
    let (started_tx, started_rx) = std::sync::mpsc::channel::<()>();
    let (release_tx, release_rx) = std::sync::mpsc::channel::<()>();
    let gate = std::sync::Mutex::new(Some((started_tx, release_rx)));
    runtime.observe(move |event| {
        if matches!(event, hooks_runtime::MessageEvent::Received { .. }) {
            let blocked = gate.lock().unwrap().take();
            if let Some((started, release)) = blocked {
                let _ = started.send(());
                let _ = release.recv();
            }
        }
    });
    let h = runtime.spawn(Counter::default());
    h.start().await.unwrap();
    let handle = h.clone();
    tokio::spawn(async move { handle.publish(Message::signal(Kind::Event)).await });
    let err = stop_once_blocked(&h, started_rx).await;
    match err.errors() {
        [HookError::TimedOut { method, .. }] => assert_eq!(method, "a `Runtime::observe` callback"),
        other => panic!("{other:?}"),
    }
    let _ = release_tx.send(());
}
