//! Behaviours of the systems this replaces (AIPerf, pluggy) and what the docs promise (issue 12):
//! one test per rule.

use std::time::Duration;

use hooks_runtime::prelude::*;
use hooks_runtime::MessageEvent;

#[derive(Debug, Clone, Copy, PartialEq)]
enum Kind {
    Ask,
    Slow,
}

/// What the hooks did, in order (the runtime's own test recorder).
type Log = hooks_runtime::testing::Recorder;

fn taken(log: &Log) -> Vec<String> {
    log.take()
}

// --- A dynamic interval is computed again before every wait (AIPerf re-reads it). -------------

#[derive(Hooks, Default)]
struct Pulse {
    #[hooks(base)]
    service: Service,
    period: u64,
    runs: Vec<u64>,
    began: Option<tokio::time::Instant>,
}

#[hooks]
impl Pulse {
    #[background_task(interval = |this: &Self| Duration::from_secs(this.period))]
    fn tick(&mut self) {
        let began = *self.began.get_or_insert_with(tokio::time::Instant::now);
        self.runs.push(began.elapsed().as_secs());
        self.period *= 2;
    }
}

#[tokio::test(start_paused = true)]
async fn a_dynamic_interval_is_computed_again_after_every_run() {
    let runtime = Runtime::new();
    let h = runtime.spawn(Pulse { period: 1, ..Pulse::default() });
    h.start().await.unwrap();
    tokio::time::sleep(Duration::from_millis(15_500)).await;
    // Each run doubles the period, and the wait after it is the new one: 2, 4, 8 (read once,
    // it would stay 1 and the task would have run 16 times).
    assert_eq!(h.stop().await.unwrap().runs, [0, 2, 6, 14]);
}

// --- A handler that returns no value does not take the response slot. -------------------------

#[derive(Hooks, Default)]
struct Answers {
    #[hooks(base)]
    service: Service,
    #[hooks(base)]
    commands: CommandHandler,
}

#[hooks]
impl Answers {
    #[on_command(Kind::Ask)]
    fn log_it(&mut self, _: &Message) {}

    #[on_command(Kind::Ask)]
    fn also_nothing(&mut self, _: &Message) -> Result<(), std::io::Error> {
        Ok(())
    }

    #[on_command(Kind::Ask)]
    fn answer(&mut self, _: &Message) -> Result<u32, std::io::Error> {
        Ok(7)
    }
}

#[tokio::test]
async fn a_command_handler_returning_nothing_does_not_hide_a_later_value() {
    let runtime = Runtime::new();
    let h = runtime.spawn(Answers::default());
    h.start().await.unwrap();
    let response = h.command(Message::signal(Kind::Ask)).await.unwrap();
    assert_eq!(response.get::<u32>(), Some(&7), "{response:?}");
    h.stop().await.unwrap();
}

// --- A failing on_state_change hook reaches the caller. -----------------------------------------

#[derive(Hooks, Default, Debug)]
struct Observed {
    #[hooks(base)]
    service: Service,
    refuse: Option<LifecycleState>,
    log: Log,
}

#[hooks]
impl Observed {
    #[on_state_change]
    fn changed(&mut self, _old: LifecycleState, new: LifecycleState) -> Result<(), String> {
        if self.refuse == Some(new) {
            return Err(format!("refused {new:?}"));
        }
        Ok(())
    }

    #[on_stop]
    fn stop(&mut self, reason: &StopReason) {
        self.log.record(format!("on_stop {}", matches!(reason, StopReason::Failed(_))));
    }
}

#[tokio::test]
async fn a_failing_state_change_hook_fails_the_start_like_a_startup_hook() {
    let runtime = Runtime::new();
    for refused in [LifecycleState::Initializing, LifecycleState::Starting, LifecycleState::Running] {
        let log = Log::default();
        let h = runtime.spawn(Observed { refuse: Some(refused), log: log.clone(), ..Observed::default() });
        let err = h.start().await.unwrap_err();
        assert_eq!(err.errors()[0].method(), "changed", "{err}");
        assert!(err.to_string().contains(&format!("refused {refused:?}")), "{err}");
        assert_eq!(h.state(), LifecycleState::Failed);
        assert_eq!(taken(&log), ["on_stop true"], "rolled back");
        h.stop().await.unwrap();
    }
}

#[tokio::test]
async fn a_failing_state_change_hook_on_the_stop_path_is_collected_and_the_component_handed_back() {
    let runtime = Runtime::new();
    let log = Log::default();
    let h = runtime.spawn(Observed { refuse: Some(LifecycleState::Stopping), log: log.clone(), ..Observed::default() });
    h.start().await.unwrap();
    let err = h.stop().await.unwrap_err();
    assert_eq!(err.errors().len(), 1);
    assert_eq!(err.errors()[0].hook_type(), "OnStateChange");
    let c: Observed = err.take_component().expect("handed back");
    assert_eq!(taken(&c.log), ["on_stop false"], "the stop hooks still ran");
}

// --- StopReason::TimedOut only when the budget ran out. ------------------------------------------

#[derive(Hooks, Default)]
struct Budgeted {
    #[hooks(base)]
    service: Service,
    #[hooks(base)]
    bus: MessageBusClient,
    reasons: Vec<String>,
}

#[hooks]
impl Budgeted {
    #[on_message(Kind::Slow)]
    async fn slow(&mut self, _: &Message) {
        tokio::time::sleep(Duration::from_secs(60)).await;
    }

    #[on_stop]
    fn stop(&mut self, reason: &StopReason) {
        self.reasons.push(format!("{reason:?}"));
    }
}

#[tokio::test(start_paused = true)]
async fn stop_reason_is_timed_out_only_when_the_budget_ran_out() {
    let runtime = Runtime::new();
    let h = runtime.spawn(Budgeted::default());
    h.start().await.unwrap();
    let c = h.stop_with_timeout(Duration::from_secs(5)).await.unwrap();
    assert_eq!(c.reasons, ["Requested"], "a budgeted stop that did not run out");

    // A message accepted before the stop takes the whole budget while the stop handles it.
    let h = runtime.spawn(Budgeted::default());
    h.publish(Message::signal(Kind::Slow)).await.unwrap();
    let c = h.stop_with_timeout(Duration::from_secs(1)).await.unwrap();
    assert_eq!(c.reasons, ["TimedOut"]);
}

// --- One pull handler per pulled type in a component. ------------------------------------------

#[derive(Hooks, Default)]
struct TwoPullers {
    #[hooks(base)]
    service: Service,
    #[hooks(base)]
    pulls: PullClient,
}

#[hooks]
impl TwoPullers {
    #[on_pull_message(Kind::Ask)]
    fn first(&mut self, _: &Message) {}

    #[on_pull_message(Kind::Slow, Kind::Ask)]
    fn second(&mut self, _: &Message) {}
}

#[tokio::test]
async fn a_second_pull_handler_for_one_type_is_refused_at_start() {
    let runtime = Runtime::new();
    let h = runtime.spawn(TwoPullers::default());
    let err = h.start().await.unwrap_err();
    assert_eq!(err.errors()[0].method(), "second");
    assert!(err.to_string().contains("`TwoPullers::first` is the first"), "{err}");
    assert!(runtime.push(Message::signal(Kind::Ask)).await.is_err(), "it never pulled");
    h.stop().await.unwrap();
}

// --- Every way a hook runs keeps statistics and calls error handlers. --------------------------

#[derive(Hooks, Default)]
struct Ticker {
    #[hooks(base)]
    service: Service,
    #[hooks(base)]
    bus: MessageBusClient,
}

#[hooks]
impl Ticker {
    #[background_task(interval = "1s")]
    fn tick(&mut self) {}
}

#[tokio::test(start_paused = true)]
async fn hooks_the_runtime_dispatches_record_statistics_and_call_error_handlers() {
    let runtime = Runtime::new();
    let handled = Log::default();
    let mut t = Ticker::default();
    t.enable_stats().unwrap();
    let sink = handled.clone();
    t.attach_hook_with::<OnMessage, _, _>(
        HookSpec::new("flaky").params([Kind::Ask]).on_error(move |e| sink.record(e.method())),
        |_: &mut Ticker, _: &Message| Err::<(), _>("down"),
    )
    .unwrap();
    let h = runtime.spawn(t);
    h.start().await.unwrap();
    tokio::time::sleep(Duration::from_millis(9_500)).await;
    h.publish(Message::signal(Kind::Ask)).await.unwrap();
    let t = h.stop().await.unwrap();
    let calls =
        |method: &str| t.hook_infos().into_iter().find(|i| i.method == method).map(|i| i.calls).unwrap_or_default();
    assert_eq!(calls("tick"), 10, "every tick counted");
    assert_eq!(calls("flaky"), 1, "the message handler counted");
    assert_eq!(taken(&handled), ["flaky"], "its error handler called");
}

// --- Params given at run time route and are checked like static ones. --------------------------

#[tokio::test]
async fn message_types_given_to_attach_hook_route_like_static_ones() {
    let runtime = Runtime::new();
    let seen = Log::default();
    let mut t = Ticker::default();
    let sink = seen.clone();
    t.attach_hook::<OnMessage>("late", move |_: &mut Ticker, _: &Message| sink.record("late"), [Kind::Ask]).unwrap();
    let h = runtime.spawn(t);
    h.start().await.unwrap();
    assert_eq!(runtime.publish(Message::signal(Kind::Ask)).await, 1, "the runtime routes to it");
    assert_eq!(runtime.publish(Message::signal(Kind::Slow)).await, 0);
    h.stop().await.unwrap();
    assert_eq!(taken(&seen), ["late"]);
}

#[test]
fn a_background_task_attached_with_params_it_cannot_take_is_refused() {
    let mut t = Ticker::default();
    let err = t.attach_hook::<BackgroundTask>("t", |_: &mut Ticker, _: &()| {}, [42u32]).unwrap_err();
    assert!(matches!(err, HookError::Refused { .. }), "{err}");
    assert!(err.to_string().contains("one `TaskSpec`"), "{err}");
    let spec = TaskSpec { interval: Some(Duration::from_secs(1)), ..TaskSpec::default() };
    t.attach_hook::<BackgroundTask>("t", |_: &mut Ticker, _: &()| {}, [spec]).unwrap();
    t.attach_hook::<BackgroundTask>("u", |_: &mut Ticker, _: &()| {}, ()).unwrap();
}

// --- Observers see the message and its sender, Sent before Received. ---------------------------

#[derive(Hooks, Default)]
struct Relay {
    #[hooks(base)]
    service: Service,
    #[hooks(base)]
    bus: MessageBusClient,
}

#[hooks]
impl Relay {
    #[on_message(Kind::Ask)]
    async fn relay(&mut self, n: &u32, ctx: &Context) {
        ctx.publish(Message::new(Kind::Slow, *n + 1)).await;
    }
}

#[derive(Hooks, Default)]
struct Last {
    #[hooks(base)]
    service: Service,
    #[hooks(base)]
    bus: MessageBusClient,
}

#[hooks]
impl Last {
    #[on_message(Kind::Slow)]
    fn last(&mut self, _: &u32) {}
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn observers_see_the_message_and_its_sender_and_a_send_before_its_receive() {
    let runtime = Runtime::new();
    let events = Log::default();
    let sink = events.clone();
    runtime.observe(move |event| {
        let line = match event {
            MessageEvent::Sent { to, message, from, .. } => {
                format!("send {} {} -> {to}", message.payload::<u32>().unwrap(), from.as_deref().unwrap_or("runtime"))
            }
            MessageEvent::Received { by, message, .. } => format!("recv {} by {by}", message.payload::<u32>().unwrap()),
            _ => "other".into(),
        };
        sink.record(line);
    });
    runtime.spawn_named("relay", Relay::default());
    runtime.spawn_named("last", Last::default());
    runtime.start_all().await.unwrap();
    for round in 0..200u32 {
        runtime.publish(Message::new(Kind::Ask, round * 10)).await;
        // Wait for this round's two receives.
        let mut seen = 0;
        while seen < 4 {
            tokio::task::yield_now().await;
            seen = events.entries().len();
        }
        let lines = taken(&events);
        let at = |e: &str| lines.iter().position(|x| x == e).unwrap_or_else(|| panic!("{e} missing: {lines:?}"));
        let n = round * 10;
        assert!(at(&format!("send {n} runtime -> relay")) < at(&format!("recv {n} by relay")), "{lines:?}");
        assert!(at(&format!("send {} relay -> last", n + 1)) < at(&format!("recv {} by last", n + 1)), "{lines:?}");
    }
    runtime.stop_all().await.unwrap();
}

// --- The hook's own error through `source()`. ---------------------------------------------------

#[derive(Debug, thiserror::Error, PartialEq)]
#[error("disk full on {0}")]
struct DiskFull(&'static str);

#[derive(Hooks, Default, Debug)]
struct Disk {
    #[hooks(base)]
    service: Service,
}

#[hooks]
impl Disk {
    #[on_start]
    fn open(&mut self) -> Result<(), DiskFull> {
        Err(DiskFull("/var"))
    }
}

#[tokio::test]
async fn the_std_source_chain_reaches_the_hooks_own_error() {
    use std::error::Error as _;
    let runtime = Runtime::new();
    let h = runtime.spawn(Disk::default());
    let err = h.start().await.unwrap_err();
    // From the hook failure: its source is the hook's error itself.
    let hook = &err.errors()[0];
    assert_eq!(hook.source().and_then(|s| s.downcast_ref::<DiskFull>()), Some(&DiskFull("/var")));
    // From the lifecycle error, walking the whole chain.
    let mut found = None;
    let mut next: Option<&(dyn std::error::Error + 'static)> = Some(&err);
    while let Some(e) = next {
        found = found.or(e.downcast_ref::<DiskFull>());
        next = e.source();
    }
    assert_eq!(found, Some(&DiskFull("/var")));
    h.stop().await.unwrap();
}

// --- One order everywhere: listings show what runs. ---------------------------------------------

#[test]
fn hook_infos_lists_each_type_in_the_order_hooks_lists_and_runs_it() {
    let mut t = Ticker::default();
    let noop = |_: &mut Ticker, _: &Message| {};
    t.attach_hook_with::<OnMessage, _, _>(HookSpec::new("b").params([Kind::Ask]), noop).unwrap();
    t.attach_hook_with::<OnMessage, _, _>(HookSpec::new("a").priority(-1).params([Kind::Ask]), noop).unwrap();
    t.attach_hook_with::<OnMessage, _, _>(HookSpec::new("c").before("b").params([Kind::Ask]), noop).unwrap();
    let listed: Vec<String> =
        t.hook_infos().into_iter().filter(|i| i.hook_type == "OnMessage").map(|i| i.method.into_owned()).collect();
    let ordered: Vec<String> = t.hooks::<OnMessage>().into_iter().map(|i| i.method.into_owned()).collect();
    assert_eq!(listed, ordered);
    assert_eq!(ordered, ["a", "c", "b"], "priority first, then the constraint");
    let types: Vec<&str> = t.hook_infos().iter().map(|i| i.hook_type).collect();
    assert_eq!(types, ["BackgroundTask", "OnMessage", "OnMessage", "OnMessage"], "grouped by hook type");
}

// --- Around-hooks: refused on historic types; they see and may replace values. -----------------

#[derive(Debug, Clone)]
struct Loaded;

hook_type!(ConfigLoaded(Loaded), historic);
hook_type!(Quote(u32));

#[derive(Hooks, Default)]
#[provides_hooks(ConfigLoaded, Quote)]
struct Shop {
    attached: AttachedHooks,
}

#[test]
fn an_around_hook_on_a_historic_hook_type_is_refused() {
    let mut s = Shop::default();
    let err = s.attach_around::<ConfigLoaded, _, _>("wrap", |_: &mut Shop, _: &Loaded| {}, |_, _, r| r).unwrap_err();
    assert!(matches!(err, HookError::Refused { .. }), "{err}");
    assert!(err.to_string().contains("historic"), "{err}");
    s.attach_around::<Quote, _, _>("wrap", |_: &mut Shop, _: &u32| {}, |_, _, r| r).unwrap();
}

#[tokio::test]
async fn an_around_hook_sees_and_may_force_the_value_of_a_first_result_run() {
    let mut s = Shop::default();
    s.attach_hook::<Quote>("cheap", |_: &mut Shop, base: &u32| Ok::<_, String>(*base), ()).unwrap();
    s.attach_hook::<Quote>("dear", |_: &mut Shop, base: &u32| Ok::<_, String>(*base * 2), ()).unwrap();
    let seen = Log::default();
    let sink = seen.clone();
    s.attach_wrapper::<Quote, _, _>(
        "floor",
        |_: &mut Shop, _: &u32| {},
        move |_: &mut Shop, _: &u32, run| {
            for (name, v) in run.values::<u32>() {
                sink.record(format!("{name}={v}"));
            }
            if run.first::<u32>().is_some_and(|&v| v < 50) {
                assert!(run.set_value(50u32));
            }
        },
    )
    .unwrap();
    let report = s.run_hooks_report::<Quote>(&10, RunSpec::new().first_value()).await;
    assert_eq!(report.first::<u32>(), Some(&50), "forced by the wrapper");
    assert_eq!(seen.entries(), ["cheap=10"], "a first-result run stops at the first value");
    let report = s.run_hooks_report::<Quote>(&100, RunSpec::new()).await;
    assert_eq!(report.values::<u32>(), [("cheap", &100), ("dear", &200)], "left alone when not below the floor");
}

// --- Attached hooks take params computed from the instance, like static ones. -----------------

#[derive(Hooks, Default)]
struct Switchable {
    #[hooks(base)]
    service: Service,
    #[hooks(base)]
    bus: MessageBusClient,
    debug: bool,
    seen: u32,
    ticks: u32,
}

#[tokio::test(start_paused = true)]
async fn attached_hooks_take_params_computed_from_the_instance() {
    let runtime = Runtime::new();
    let mut s = Switchable { debug: true, ..Switchable::default() };
    s.attach_hook_with::<OnMessage, _, _>(
        HookSpec::new("debug").params_from(|s: &Switchable| if s.debug { vec![Kind::Ask] } else { vec![] }),
        |s: &mut Switchable, _: &Message| s.seen += 1,
    )
    .unwrap();
    s.attach_hook_with::<BackgroundTask, _, _>(
        HookSpec::new("tick").params_from(|s: &Switchable| {
            [TaskSpec { interval: Some(Duration::from_secs(u64::from(s.ticks) + 1)), ..TaskSpec::default() }]
        }),
        |s: &mut Switchable, _: &()| s.ticks += 1,
    )
    .unwrap();
    assert!(s.hooks::<OnMessage>()[0].dynamic_params);
    let h = runtime.spawn(s);
    h.start().await.unwrap();
    assert_eq!(runtime.publish(Message::signal(Kind::Ask)).await, 1, "routed by the computed types");
    // Ticks at 0, then waits 2 s, then 3 s: at 0, 2, 5.
    tokio::time::sleep(Duration::from_millis(5_500)).await;
    let s = h.stop().await.unwrap();
    assert_eq!((s.seen, s.ticks), (1, 3));

    // Another component: debug off, nothing routed.
    let mut quiet = Switchable::default();
    quiet
        .attach_hook_with::<OnMessage, _, _>(
            HookSpec::new("debug").params_from(|s: &Switchable| if s.debug { vec![Kind::Ask] } else { vec![] }),
            |s: &mut Switchable, _: &Message| s.seen += 1,
        )
        .unwrap();
    let h = runtime.spawn(quiet);
    h.start().await.unwrap();
    assert_eq!(runtime.publish(Message::signal(Kind::Ask)).await, 0);
    h.stop().await.unwrap();

    // A closure for another type is refused at attach.
    let err = Switchable::default()
        .attach_hook_with::<OnMessage, _, _>(
            HookSpec::new("x").params_from(|_: &Shop| vec![Kind::Ask]),
            |_: &mut Switchable, _: &Message| {},
        )
        .unwrap_err();
    assert!(matches!(err, HookError::Refused { .. }), "{err}");
}
