//! The lifecycle runtime: transitions, failures and rollback, stop, background tasks, on tokio's
//! paused clock where time matters.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use hooks_runtime::prelude::*;
use LifecycleState::*;

type Log = Arc<Mutex<Vec<String>>>;

fn push(log: &Log, s: impl Into<String>) {
    log.lock().unwrap().push(s.into());
}

fn entries(log: &Log) -> Vec<String> {
    log.lock().unwrap().clone()
}

#[derive(Debug, thiserror::Error)]
#[error("refused")]
struct Refused;

/// Where a `Probe` fails, if anywhere.
#[derive(Debug, Default, Clone, Copy, PartialEq)]
enum FailAt {
    #[default]
    Nowhere,
    Init,
    Start,
    StartPanic,
    Stop,
}

#[derive(Hooks, Default, Debug)]
struct Probe {
    #[hooks(base)]
    service: Service,
    log: Log,
    fail: FailAt,
    ticks: u32,
    period_ms: u64,
}

#[hooks]
impl Probe {
    #[on_state_change]
    fn changed(&mut self, old: LifecycleState, new: LifecycleState) {
        push(&self.log, format!("{old:?}->{new:?}"));
    }
    #[on_init]
    fn init(&mut self) -> Result<(), Refused> {
        push(&self.log, "init");
        if self.fail == FailAt::Init {
            Err(Refused)
        } else {
            Ok(())
        }
    }
    #[on_start]
    async fn start_1(&mut self) -> Result<(), Refused> {
        push(&self.log, "start_1");
        match self.fail {
            FailAt::Start => Err(Refused),
            FailAt::StartPanic => panic!("start exploded"),
            _ => Ok(()),
        }
    }
    #[on_start]
    fn start_2(&mut self) {
        push(&self.log, "start_2");
    }
    #[on_stop]
    fn stop_1(&mut self, reason: &StopReason) {
        let why = match reason {
            StopReason::Failed(_) => "failed",
            StopReason::TimedOut => "budget",
            StopReason::Parent => "parent",
            _ => "requested",
        };
        push(&self.log, format!("stop_1({why})"));
    }
    #[on_stop]
    async fn stop_2(&mut self) -> Result<(), Refused> {
        push(&self.log, "stop_2");
        if self.fail == FailAt::Stop {
            Err(Refused)
        } else {
            Ok(())
        }
    }
    #[background_task(interval = |this: &Self| Duration::from_millis(this.period_ms.max(1)), immediate = false)]
    async fn tick(&mut self) {
        self.ticks += 1;
    }
}

fn probe(fail: FailAt) -> (Probe, Log) {
    let log = Log::default();
    (Probe { log: log.clone(), fail, period_ms: 1000, ..Probe::default() }, log)
}

#[tokio::test]
async fn every_transition_runs_on_state_change_hooks_exactly_once_in_order() {
    let runtime = Runtime::new();
    let (p, log) = probe(FailAt::Nowhere);
    let handle = runtime.spawn(p);
    assert_eq!(handle.state(), Created);
    handle.start().await.unwrap();
    assert_eq!(handle.state(), Running);
    let p = handle.stop().await.unwrap();
    assert_eq!(
        entries(&log),
        [
            "Created->Initializing",
            "init",
            "Initializing->Initialized",
            "Initialized->Starting",
            "start_1",
            "start_2",
            "Starting->Running",
            "Running->Stopping",
            "stop_2",
            "stop_1(requested)",
            "Stopping->Stopped"
        ]
    );
    assert_eq!(handle.state(), Stopped);
    drop(p);
}

#[tokio::test]
async fn the_state_watch_sees_the_transitions() {
    let runtime = Runtime::new();
    let (p, _) = probe(FailAt::Nowhere);
    let handle = runtime.spawn(p);
    let mut watch = handle.watch_state();
    handle.initialize().await.unwrap();
    assert_eq!(*watch.borrow_and_update(), Initialized);
    let stopped = tokio::spawn({
        let handle = handle.clone();
        async move { handle.wait_stopped().await }
    });
    handle.stop().await.unwrap();
    stopped.await.unwrap();
}

#[tokio::test]
async fn illegal_calls_return_typed_errors() {
    let runtime = Runtime::new();
    let (p, _) = probe(FailAt::Nowhere);
    let handle = runtime.spawn(p);
    handle.initialize().await.unwrap();
    let err = handle.initialize().await.unwrap_err();
    assert!(matches!(err, LifecycleError::InvalidState { op: "initialize", state: Initialized, .. }), "{err}");
    handle.start().await.unwrap();
    assert!(matches!(handle.start().await, Err(LifecycleError::InvalidState { state: Running, .. })));
    handle.stop().await.unwrap();
    assert!(matches!(handle.stop().await, Err(LifecycleError::Gone { .. })), "stop twice");
    assert!(matches!(handle.start().await, Err(LifecycleError::Gone { .. })), "start after stop");
    assert!(matches!(handle.initialize().await, Err(LifecycleError::Gone { .. })));
}

#[tokio::test]
async fn a_failing_init_fails_fast_rolls_back_and_can_still_be_stopped() {
    let runtime = Runtime::new();
    let (p, log) = probe(FailAt::Init);
    let handle = runtime.spawn(p);
    let err = handle.start().await.unwrap_err();
    assert_eq!(handle.state(), Failed);
    assert_eq!(err.errors().len(), 1);
    assert_eq!((err.errors()[0].owner(), err.errors()[0].method()), ("Probe", "init"));
    assert_eq!(
        err.to_string(),
        "`Probe` failed to initialize: 1 hook failed: hook `Probe::init` (OnInit) failed: refused"
    );
    let p = handle.stop().await.unwrap();
    assert_eq!(p.ticks, 0);
    let log = entries(&log);
    assert!(!log.iter().any(|e| e.starts_with("start")), "no start hook ran: {log:?}");
    let stops: Vec<_> = log.iter().filter(|e| e.starts_with("stop")).collect();
    assert_eq!(stops, ["stop_2", "stop_1(failed)"], "stop hooks ran once, in reverse");
    assert_eq!(log.last().unwrap(), "Stopping->Stopped");
}

#[tokio::test]
async fn a_failing_start_hook_stops_later_ones_and_rolls_back_in_reverse() {
    for fail in [FailAt::Start, FailAt::StartPanic] {
        let runtime = Runtime::new();
        let (p, log) = probe(fail);
        let handle = runtime.spawn(p);
        let err = handle.start().await.unwrap_err();
        assert_eq!(handle.state(), Failed);
        assert_eq!(err.errors()[0].method(), "start_1");
        if fail == FailAt::StartPanic {
            assert!(matches!(&err.errors()[0], HookError::Panicked { message, .. } if message == "start exploded"));
        }
        let log = entries(&log);
        assert!(!log.contains(&"start_2".to_owned()), "no later start hook ran");
        let tail: Vec<&str> = log.iter().skip_while(|e| *e != "start_1").map(String::as_str).collect();
        assert_eq!(tail, ["start_1", "Starting->Failed", "stop_2", "stop_1(failed)"]);
        assert_eq!(handle.with(|p| p.ticks).await.unwrap(), 0, "no background task runs");
        handle.stop().await.unwrap();
    }
}

#[tokio::test]
async fn stop_hooks_collect_every_failure_and_still_hand_the_component_back() {
    let runtime = Runtime::new();
    let (p, log) = probe(FailAt::Stop);
    let handle = runtime.spawn(p);
    handle.start().await.unwrap();
    let err = handle.stop().await.unwrap_err();
    assert_eq!(err.errors()[0].method(), "stop_2");
    assert!(entries(&log).contains(&"stop_1(requested)".to_owned()), "the other stop hook ran");
    assert_eq!(handle.state(), Stopped);
    let p: Probe = err.take_component().expect("handed back with the error");
    assert!(err.take_component::<Probe>().is_none(), "once");
    assert_eq!(p.fail, FailAt::Stop);
}

#[tokio::test(start_paused = true)]
async fn a_stop_during_start_waits_for_start_to_finish() {
    #[derive(Hooks, Default)]
    struct SlowStart {
        #[hooks(base)]
        service: Service,
        log: Vec<&'static str>,
    }
    #[hooks]
    impl SlowStart {
        #[on_start]
        async fn start(&mut self) {
            tokio::time::sleep(Duration::from_secs(5)).await;
            self.log.push("started");
        }
        #[on_stop]
        fn stop(&mut self) {
            self.log.push("stopped");
        }
    }
    let runtime = Runtime::new();
    let handle = runtime.spawn(SlowStart::default());
    let starting = tokio::spawn({
        let h = handle.clone();
        async move { h.start().await }
    });
    tokio::task::yield_now().await;
    let c = handle.stop().await.unwrap();
    assert_eq!(c.log, ["started", "stopped"]);
    starting.await.unwrap().unwrap();
}

#[tokio::test(start_paused = true)]
async fn interval_ticks_are_counted_on_simulated_time() {
    let runtime = Runtime::new();
    let (p, _) = probe(FailAt::Nowhere);
    let handle = runtime.spawn(p);
    handle.start().await.unwrap();
    tokio::time::sleep(Duration::from_millis(10_500)).await;
    assert_eq!(handle.with(|p| p.ticks).await.unwrap(), 10, "immediate = false: first tick after 1s");
    let p = handle.stop().await.unwrap();
    tokio::time::sleep(Duration::from_secs(10)).await;
    assert_eq!(p.ticks, 10, "no tick after stop");
}

#[tokio::test(start_paused = true)]
async fn a_dynamic_interval_is_read_from_the_instance() {
    let runtime = Runtime::new();
    let (mut p, _) = probe(FailAt::Nowhere);
    p.period_ms = 250;
    let handle = runtime.spawn(p);
    handle.start().await.unwrap();
    tokio::time::sleep(Duration::from_millis(1100)).await;
    assert_eq!(handle.stop().await.unwrap().ticks, 4);
}

#[derive(Hooks, Default)]
struct Tasks {
    #[hooks(base)]
    service: Service,
    base: Option<tokio::time::Instant>,
    immediate: Vec<u64>,
    delayed: Vec<u64>,
    once: u32,
    failing_continues: u32,
    failing_stops: u32,
    panicking: u32,
}

/// Milliseconds since `base` on the paused clock (time advances only by sleeps, so this is exact).
fn ms_since(base: tokio::time::Instant) -> u64 {
    base.elapsed().as_millis() as u64
}

#[hooks]
impl Tasks {
    #[background_task(interval = "1s")]
    fn immediate(&mut self) {
        self.immediate.push(ms_since(self.base.unwrap()));
    }
    #[background_task(interval = "1s", immediate = false)]
    fn delayed(&mut self) {
        self.delayed.push(ms_since(self.base.unwrap()));
    }
    #[background_task]
    async fn once(&mut self) {
        self.once += 1;
    }
    #[background_task(interval = "1s")]
    fn failing_continues(&mut self) -> Result<(), String> {
        self.failing_continues += 1;
        Err("transient".into())
    }
    #[background_task(interval = "1s", stop_on_error = true)]
    fn failing_stops(&mut self) -> Result<(), String> {
        self.failing_stops += 1;
        Err("fatal".into())
    }
    #[background_task(interval = "1s")]
    fn panicking(&mut self) {
        self.panicking += 1;
        panic!("tick panicked");
    }
}

#[tokio::test(start_paused = true)]
async fn background_task_options_are_honoured() {
    let runtime = Runtime::new();
    let handle = runtime.spawn(Tasks { base: Some(tokio::time::Instant::now()), ..Tasks::default() });
    handle.start().await.unwrap();
    tokio::time::sleep(Duration::from_millis(3500)).await;
    let t = handle.stop().await.unwrap();
    assert_eq!(t.immediate, [0, 1000, 2000, 3000]);
    assert_eq!(t.delayed, [1000, 2000, 3000]);
    assert_eq!(t.once, 1, "no interval: runs once");
    assert_eq!(t.failing_continues, 4, "an error is logged and the task goes on");
    assert_eq!(t.failing_stops, 1, "stop_on_error ends the task");
    assert_eq!(t.panicking, 4, "a panic is caught like an error");
}

#[derive(Hooks, Default)]
struct Busy {
    #[hooks(base)]
    service: Service,
    base: Option<tokio::time::Instant>,
    runs: Vec<(u64, u64)>,
}

#[hooks]
impl Busy {
    #[background_task(interval = "1s")]
    async fn slow(&mut self) {
        let base = self.base.unwrap();
        let start = ms_since(base);
        tokio::time::sleep(Duration::from_millis(2500)).await;
        self.runs.push((start, ms_since(base)));
    }
}

#[tokio::test(start_paused = true)]
async fn a_background_task_never_overlaps_itself_nor_bursts() {
    let runtime = Runtime::new();
    let handle = runtime.spawn(Busy { base: Some(tokio::time::Instant::now()), ..Busy::default() });
    handle.start().await.unwrap();
    tokio::time::sleep(Duration::from_millis(8000)).await;
    let b = handle.stop().await.unwrap();
    let runs = b.runs;
    // Each run starts one interval after the previous one ended; the run in progress at stop is dropped.
    assert_eq!(runs, [(0, 2500), (3500, 6000)]);
}

#[tokio::test(start_paused = true)]
async fn stop_budget_cancels_an_overrunning_stop_hook_by_name_and_the_others_still_run() {
    #[derive(Hooks, Default, Debug)]
    struct Hung {
        #[hooks(base)]
        service: Service,
        log: Vec<&'static str>,
    }
    #[hooks]
    impl Hung {
        #[on_stop]
        fn last(&mut self) {
            self.log.push("last");
        }
        #[on_stop]
        async fn hangs(&mut self) {
            tokio::time::sleep(Duration::from_secs(3600)).await;
            self.log.push("hangs finished");
        }
        #[on_stop]
        fn first(&mut self, reason: &StopReason) {
            assert!(matches!(reason, StopReason::Requested), "the budget was not spent when the stop hooks began");
            self.log.push("first");
        }
    }
    let runtime = Runtime::new();
    let handle = runtime.spawn(Hung::default());
    handle.start().await.unwrap();
    let err = handle.stop_with_timeout(Duration::from_secs(2)).await.unwrap_err();
    match err.errors() {
        [HookError::TimedOut { method, timeout, .. }] => {
            assert_eq!(method, "hangs");
            assert_eq!(*timeout, Duration::from_secs(2));
        }
        other => panic!("{other:?}"),
    }
    let h: Hung = err.take_component().unwrap();
    assert_eq!(h.log, ["first", "last"]);
}

#[derive(Hooks)]
struct Ordered {
    #[hooks(base)]
    service: Service,
    name: &'static str,
    log: Log,
    fail_start: bool,
}

#[hooks]
impl Ordered {
    #[on_start]
    async fn start(&mut self) -> Result<(), Refused> {
        // Durations differ per component: order must not depend on them.
        tokio::time::sleep(Duration::from_millis(u64::from(self.name.as_bytes()[0]) % 7)).await;
        push(&self.log, format!("start {}", self.name));
        if self.fail_start {
            Err(Refused)
        } else {
            Ok(())
        }
    }
    #[on_stop]
    async fn stop(&mut self) {
        push(&self.log, format!("stop {}", self.name));
    }
}

fn ordered(name: &'static str, log: &Log, fail_start: bool) -> Ordered {
    Ordered { service: Service::default(), name, log: log.clone(), fail_start }
}

#[tokio::test(start_paused = true)]
async fn stop_all_stops_in_exact_reverse_start_order() {
    let log = Log::default();
    let runtime = Runtime::new();
    let a = runtime.spawn(ordered("a", &log, false));
    let b = runtime.spawn(ordered("b", &log, false));
    let c = runtime.spawn(ordered("c", &log, false));
    c.start().await.unwrap();
    a.start().await.unwrap();
    b.start().await.unwrap();
    runtime.stop_all().await.unwrap();
    assert_eq!(entries(&log), ["start c", "start a", "start b", "stop b", "stop a", "stop c"]);
    assert!(runtime.components().iter().all(|(_, s)| *s == Stopped));
}

#[tokio::test(start_paused = true)]
async fn start_all_rolls_back_the_components_it_started_when_one_fails() {
    let log = Log::default();
    let runtime = Runtime::new();
    runtime.spawn(ordered("a", &log, false));
    runtime.spawn(ordered("b", &log, false));
    let c = runtime.spawn(ordered("c", &log, true));
    let d = runtime.spawn(ordered("d", &log, false));
    let err = runtime.start_all().await.unwrap_err();
    assert_eq!(err.errors()[0].method(), "start");
    assert_eq!(c.state(), Failed);
    assert_eq!(d.state(), Created, "nothing after the failure starts");
    assert_eq!(entries(&log), ["start a", "start b", "start c", "stop c", "stop b", "stop a"]);
}

#[tokio::test]
async fn a_thousand_components_start_and_stop_with_every_hook_run() {
    let runtime = Runtime::new();
    let logs: Vec<Log> = (0..1000).map(|_| Log::default()).collect();
    let handles: Vec<_> =
        logs.iter().map(|log| runtime.spawn(Probe { log: log.clone(), ..Probe::default() })).collect();
    for h in &handles {
        h.start().await.unwrap();
    }
    runtime.stop_all().await.unwrap();
    for log in &logs {
        assert_eq!(entries(log).len(), 11, "every hook and every transition");
    }
    assert!(handles.iter().all(|h| h.state() == Stopped));
}

#[tokio::test(start_paused = true)]
async fn context_spawned_tasks_are_cancelled_before_stop_hooks_and_a_hook_can_request_stop() {
    #[derive(Hooks, Default)]
    struct Spawner {
        #[hooks(base)]
        service: Service,
        progress: Arc<Mutex<u32>>,
        seen_at_stop: u32,
        name: String,
    }
    #[hooks]
    impl Spawner {
        #[on_start]
        fn start(&mut self) {
            let ctx = Context::current().expect("inside the runtime");
            assert_eq!(ctx.state(), Starting);
            self.name = ctx.name().to_owned();
            let progress = self.progress.clone();
            ctx.spawn(async move {
                loop {
                    tokio::time::sleep(Duration::from_secs(1)).await;
                    *progress.lock().unwrap() += 1;
                }
            });
        }
        #[background_task(interval = "10500ms", immediate = false)]
        fn give_up(&mut self) {
            Context::current().unwrap().request_stop();
        }
        #[on_stop]
        fn stop(&mut self) {
            self.seen_at_stop = *self.progress.lock().unwrap();
        }
    }
    let runtime = Runtime::new();
    let handle = runtime.spawn_named("spawner-1", Spawner::default());
    handle.start().await.unwrap();
    handle.wait_stopped().await;
    let s = handle.stop().await.unwrap();
    assert_eq!(s.name, "spawner-1");
    assert_eq!(s.seen_at_stop, 10, "the spawned loop ran until the stop request at 10.5s");
    tokio::time::sleep(Duration::from_secs(5)).await;
    assert_eq!(*s.progress.lock().unwrap(), 10, "and never after");
    assert!(Context::current().is_none(), "outside a component");
}

#[tokio::test]
async fn dropping_every_handle_stops_the_component_with_reason_parent() {
    let runtime = Runtime::new();
    let (p, log) = probe(FailAt::Nowhere);
    let handle = runtime.spawn(p);
    handle.start().await.unwrap();
    drop(handle);
    drop(runtime);
    for _ in 0..100 {
        if entries(&log).last().map(String::as_str) == Some("Stopping->Stopped") {
            break;
        }
        tokio::task::yield_now().await;
    }
    assert!(entries(&log).contains(&"stop_1(parent)".to_owned()), "{:?}", entries(&log));
}

#[derive(Hooks, Default, Debug)]
struct Panicky {
    #[hooks(base)]
    service: Service,
    log: Vec<&'static str>,
    observer_panics: bool,
}

#[hooks]
impl Panicky {
    #[on_state_change]
    fn changed(&mut self, _old: LifecycleState, new: LifecycleState) {
        if self.observer_panics && new == Initializing {
            panic!("observer exploded");
        }
    }
    #[on_init]
    async fn init(&mut self) {
        self.log.push("init");
    }
    #[on_stop]
    async fn stop_panics(&mut self) {
        panic!("stop exploded");
    }
    #[on_stop]
    fn stop_runs(&mut self) {
        self.log.push("stop_runs");
    }
}

#[tokio::test]
async fn panics_in_any_hook_are_caught_and_other_components_go_on() {
    let runtime = Runtime::new();
    let bystander_log = Log::default();
    let bystander = runtime.spawn(ordered("x", &bystander_log, false));
    let panicky = runtime.spawn(Panicky::default());
    bystander.start().await.unwrap();
    panicky.start().await.unwrap();
    let err = panicky.stop().await.unwrap_err();
    assert!(matches!(&err.errors()[0], HookError::Panicked { message, method, .. }
        if message == "stop exploded" && method == "stop_panics"));
    let p: Panicky = err.take_component().unwrap();
    assert_eq!(p.log, ["init", "stop_runs"]);
    assert_eq!(bystander.state(), Running);
    // On the start path a state observer is fail-fast, like a startup hook: the start fails
    // with its panic, and the rollback runs.
    let observer = runtime.spawn(Panicky { observer_panics: true, ..Panicky::default() });
    let err = observer.start().await.unwrap_err();
    assert!(
        matches!(&err.errors()[0], HookError::Panicked { message, method, .. }
        if message == "observer exploded" && method == "changed"),
        "{err}"
    );
    assert_eq!(observer.state(), Failed);
    assert_eq!(observer.stop().await.unwrap().log, ["stop_runs"], "rolled back; on_init never ran");
    bystander.stop().await.unwrap();
}

#[tokio::test]
async fn the_runtime_lets_go_of_a_component_once_it_is_handed_back() {
    let runtime = Runtime::new();
    let (p, _) = probe(FailAt::Nowhere);
    let a = runtime.spawn_named("a", p);
    let (p, _) = probe(FailAt::Nowhere);
    let _b = runtime.spawn_named("b", p);
    a.start().await.unwrap();
    assert_eq!(runtime.components(), [("a".to_owned(), Running), ("b".to_owned(), Created)]);
    a.stop().await.unwrap();
    assert_eq!(runtime.components(), [("b".to_owned(), Created)]);
    runtime.stop_all().await.unwrap();
    assert!(runtime.components().is_empty());
}

#[derive(Hooks, Default)]
struct WithContext {
    #[hooks(base)]
    service: Service,
    #[hooks(base)]
    bus: MessageBusClient,
    seen: Vec<String>,
}

#[hooks]
impl WithContext {
    #[on_start]
    fn start(&mut self, ctx: &Context) {
        self.seen.push(format!("start {} {:?}", ctx.name(), ctx.state()));
    }

    #[on_message("ping")]
    async fn ping(&mut self, n: &u32, ctx: &Context) {
        self.seen.push(format!("ping {n} in {}", ctx.name()));
    }

    #[background_task(interval = "1s", immediate = false)]
    async fn tick(&mut self, ctx: &mut Context) {
        self.seen.push("tick".into());
        ctx.request_stop();
    }
}

#[tokio::test(start_paused = true)]
async fn hooks_may_take_the_context_as_their_last_argument() {
    let runtime = Runtime::new();
    let h = runtime.spawn_named("ctx-1", WithContext::default());
    h.start().await.unwrap();
    h.publish(Message::new("ping", 7u32)).await.unwrap();
    h.wait_stopped().await;
    let c = h.stop().await.unwrap();
    assert_eq!(c.seen, ["start ctx-1 Starting", "ping 7 in ctx-1", "tick"]);

    let mut by_hand = WithContext::default();
    let err = by_hand.run_hooks::<OnStart>().await.unwrap_err();
    let source = std::error::Error::source(&err.errors()[0]).unwrap().to_string();
    assert!(source.contains("takes a `Context`, which only hooks run by a `Runtime` have"), "{source}");
}
