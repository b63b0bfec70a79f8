//! Stages (`stage!`, `#[stage]`, `Before` / `After` / `OnError`), hooks-core/src/stage.rs: event
//! order, the arguments and results observers see, static and attached observers, priorities,
//! vetoes, observer failures, the argument copy, stages provided by a base, and the usual
//! disable / remove / list surface on stage observers.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use hooks_runtime::prelude::*;
use hooks_runtime::{Raised, Returned};

#[derive(Debug, Clone, PartialEq)]
pub enum NodeError {
    Vetoed(Vetoed),
    Failed(String),
}

impl From<Vetoed> for NodeError {
    fn from(v: Vetoed) -> Self {
        NodeError::Vetoed(v)
    }
}

stage!(
    /// The stage most tests use: two arguments, fallible.
    pub Forward(String, u32) -> Result<usize, NodeError>
);

/// A component with the stage and no static observer: every observer is attached by the test.
#[derive(Hooks, Default)]
#[provides_hooks(Forward)]
struct Agent {
    attached: AttachedHooks,
    log: Vec<String>,
}

#[hooks]
impl Agent {
    #[stage(Forward)]
    fn forward(&mut self, input: &str, n: u32) -> Result<usize, NodeError> {
        self.log.push(format!("body {input} {n}"));
        if n == 0 {
            return Err(NodeError::Failed(format!("zero for {input}")));
        }
        Ok(input.len() * n as usize)
    }
}

fn log_before(a: &mut Agent, args: &(String, u32)) {
    a.log.push(format!("before {} {}", args.0, args.1));
}

fn log_after(a: &mut Agent, r: &Returned<Forward>) {
    a.log.push(format!("after {} {:?}", r.output, r.args));
}

fn log_error(a: &mut Agent, r: &Raised<Forward>) {
    a.log.push(format!("error {:?} {:?}", r.error, r.args));
}

fn observed_agent() -> Agent {
    let mut a = Agent::default();
    a.attach_hook::<Before<Forward>>("b", log_before, ()).unwrap();
    a.attach_hook::<After<Forward>>("a", log_after, ()).unwrap();
    a.attach_hook::<OnError<Forward>>("e", log_error, ()).unwrap();
    a
}

fn panicking_after(_: &mut Agent, _: &Returned<Forward>) {
    panic!("observer boom")
}

fn panicking_error(_: &mut Agent, r: &Raised<Forward>) {
    panic!("alarm for {:?}", r.error)
}

type Errors = Arc<Mutex<Vec<HookError>>>;

fn collecting(name: &'static str, errors: &Errors) -> HookSpec {
    let errors = errors.clone();
    HookSpec::new(name).on_error(move |e| errors.lock().unwrap().push(e.clone()))
}

#[test]
fn stage_declaration_names_its_three_events() {
    assert_eq!(<Forward as Stage>::NAME, "Forward");
    assert_eq!(Forward::EVENTS, ["Forward.BEFORE", "Forward.AFTER", "Forward.ERROR"]);
    assert_eq!(<Before<Forward> as HookType>::NAME, "Forward.BEFORE");
    assert_eq!(<After<Forward> as HookType>::NAME, "Forward.AFTER");
    assert_eq!(<OnError<Forward> as HookType>::NAME, "Forward.ERROR");
    assert!(Agent::provides::<Before<Forward>>());
    assert!(Agent::provides::<After<Forward>>());
    assert!(Agent::provides::<OnError<Forward>>());
}

#[test]
fn ok_call_runs_before_then_the_method_then_after() {
    let mut a = observed_agent();
    assert_eq!(a.forward("xy", 3), Ok(6));
    assert_eq!(a.log, ["before xy 3", "body xy 3", "after 6 (\"xy\", 3)"]);
}

#[test]
fn err_call_runs_before_then_the_method_then_error_observers_only() {
    let mut a = observed_agent();
    assert_eq!(a.forward("xy", 0), Err(NodeError::Failed("zero for xy".into())));
    assert_eq!(a.log, ["before xy 0", "body xy 0", "error Failed(\"zero for xy\") (\"xy\", 0)"]);
}

#[test]
fn a_stage_without_observers_just_runs_the_method() {
    let mut a = Agent::default();
    assert_eq!(a.forward("abc", 2), Ok(6));
    assert_eq!(a.forward("abc", 0), Err(NodeError::Failed("zero for abc".into())));
    assert_eq!(a.log, ["body abc 2", "body abc 0"]);
}

// ---- argument kinds: references (`&str`, `&[T]`, `&mut T`) are copied with `ToOwned`, by-value
// parameters too; the body still gets the originals.

stage!(pub Encode(Vec<u8>, String, Option<u32>, Vec<String>) -> usize);

#[derive(Hooks, Default)]
#[provides_hooks(Encode)]
struct Encoder {
    attached: AttachedHooks,
    labels: Vec<String>,
    seen: Vec<String>,
}

#[hooks]
impl Encoder {
    #[stage(Encode)]
    fn encode(&mut self, bytes: &[u8], label: String, limit: Option<u32>, scratch: &mut Vec<String>) -> usize {
        scratch.push(format!("{label}!"));
        self.labels.push(label); // by value: moved into the component
        bytes.len().min(limit.unwrap_or(u32::MAX) as usize)
    }
}

#[test]
fn observers_see_owned_copies_of_reference_and_by_value_parameters() {
    let mut e = Encoder::default();
    e.attach_hook::<Before<Encode>>(
        "before",
        |e: &mut Encoder, args: &(Vec<u8>, String, Option<u32>, Vec<String>)| {
            e.seen.push(format!("before {:?}", args));
        },
        (),
    )
    .unwrap();
    e.attach_hook::<After<Encode>>(
        "after",
        |e: &mut Encoder, r: &Returned<Encode>| e.seen.push(format!("after {} {:?}", r.output, r.args)),
        (),
    )
    .unwrap();
    let mut scratch = vec!["s0".to_owned()];
    assert_eq!(e.encode(&[1, 2, 3], "lbl".to_owned(), Some(2), &mut scratch), 2);
    // The method got the originals: the `&mut` parameter was changed, the `String` moved in.
    assert_eq!(scratch, ["s0", "lbl!"]);
    assert_eq!(e.labels, ["lbl"]);
    // Observers got copies made before the call: AFTER sees the `&mut` argument as it was.
    assert_eq!(
        e.seen,
        ["before ([1, 2, 3], \"lbl\", Some(2), [\"s0\"])", "after 2 ([1, 2, 3], \"lbl\", Some(2), [\"s0\"])",]
    );
}

stage!(pub Build);

#[derive(Hooks, Default)]
#[provides_hooks(Build)]
struct Builder {
    attached: AttachedHooks,
    log: Vec<&'static str>,
}

#[hooks]
impl Builder {
    #[stage(Build)]
    fn build(&mut self) {
        self.log.push("build");
    }
}

#[test]
fn a_stage_without_arguments_or_value_passes_unit() {
    let mut b = Builder::default();
    b.attach_hook::<Before<Build>>("b", |b: &mut Builder, _: &()| b.log.push("before"), ()).unwrap();
    b.attach_hook::<After<Build>>(
        "a",
        |b: &mut Builder, r: &Returned<Build>| {
            let ((), ()) = (r.output, r.args);
            b.log.push("after");
        },
        (),
    )
    .unwrap();
    b.build();
    assert_eq!(b.log, ["before", "build", "after"]);
}

// ---- static observers, priorities.

#[derive(Hooks, Default)]
#[provides_hooks(Forward)]
struct Watched {
    attached: AttachedHooks,
    log: Vec<String>,
}

#[hooks]
impl Watched {
    #[stage(Forward)]
    fn forward(&mut self, input: &str, n: u32) -> Result<usize, NodeError> {
        self.log.push(format!("body {input}"));
        if n == 0 {
            return Err(NodeError::Failed("zero".into()));
        }
        Ok(input.len() * n as usize)
    }

    /// Vetoes anything above 100.
    #[hook(Before<Forward>)]
    fn guard(&mut self, args: &(String, u32)) -> Control {
        self.log.push(format!("guard {}", args.1));
        if args.1 > 100 {
            Control::stop(format!("{} is too many", args.1))
        } else {
            Control::Continue
        }
    }

    #[hook(After<Forward>)]
    fn static_after(&mut self, r: &Returned<Forward>) {
        self.log.push(format!("static_after {}", r.output));
        // Panics on one value: a static observer's panic must not change the result either.
        assert_ne!(r.output, 13, "unlucky output");
    }

    #[hook(After<Forward>, priority = 10)]
    fn late_after(&mut self, r: &Returned<Forward>) {
        self.log.push(format!("late_after {}", r.args.0));
    }

    #[hook(OnError<Forward>)]
    fn static_error(&mut self, r: &Raised<Forward>) -> Result<(), String> {
        self.log.push(format!("static_error {:?}", r.error));
        Err("cannot log the error".to_owned())
    }
}

fn watched_push(name: &'static str) -> impl Fn(&mut Watched, &Returned<Forward>) + Send + Sync + 'static {
    move |w: &mut Watched, _: &Returned<Forward>| w.log.push(name.to_owned())
}

#[test]
fn static_observers_run_before_attached_ones_of_equal_priority() {
    let mut w = Watched::default();
    w.attach_hook::<Before<Forward>>(
        "attached_before",
        |w: &mut Watched, _: &(String, u32)| w.log.push("attached_before".into()),
        (),
    )
    .unwrap();
    w.attach_hook::<After<Forward>>("attached_after", watched_push("attached_after"), ()).unwrap();
    assert_eq!(w.forward("ab", 1), Ok(2));
    assert_eq!(w.log, ["guard 1", "attached_before", "body ab", "static_after 2", "attached_after", "late_after ab"]);
}

#[test]
fn priorities_order_static_and_attached_observers_together() {
    let mut w = Watched::default();
    w.attach_hook_with::<After<Forward>, _, _>(HookSpec::new("p5").priority(5), watched_push("p5")).unwrap();
    w.attach_hook_with::<After<Forward>, _, _>(HookSpec::new("p-1").priority(-1), watched_push("p-1")).unwrap();
    w.attach_hook_with::<After<Forward>, _, _>(HookSpec::new("p20").priority(20), watched_push("p20")).unwrap();
    w.attach_hook_with::<After<Forward>, _, _>(HookSpec::new("p0").priority(0), watched_push("p0")).unwrap();
    w.forward("x", 1).unwrap();
    assert_eq!(w.log, ["guard 1", "body x", "p-1", "static_after 1", "p0", "p5", "late_after x", "p20"]);
    // `hooks::<After<Forward>>()` lists them in that order, with the event's name.
    let listed = w.hooks::<After<Forward>>();
    let names: Vec<_> = listed.iter().map(|h| (h.method.as_ref(), h.attached, h.priority)).collect();
    assert_eq!(
        names,
        [
            ("p-1", true, -1),
            ("static_after", false, 0),
            ("p0", true, 0),
            ("p5", true, 5),
            ("late_after", false, 10),
            ("p20", true, 20)
        ]
    );
    assert!(listed.iter().all(|h| h.hook_type == "Forward.AFTER" && h.owner == "Watched" && h.enabled));
    let before: Vec<_> = w.hooks::<Before<Forward>>().iter().map(|h| (h.method.to_string(), h.hook_type)).collect();
    assert_eq!(before, [("guard".to_owned(), "Forward.BEFORE")]);
    let error: Vec<_> = w.hooks::<OnError<Forward>>().iter().map(|h| h.method.to_string()).collect();
    assert_eq!(error, ["static_error"]);
}

// ---- vetoes.

#[test]
fn a_before_observer_vetoes_the_call() {
    let mut a = Agent::default();
    a.attach_hook::<Before<Forward>>("first", log_before, ()).unwrap();
    a.attach_hook::<Before<Forward>>(
        "guard",
        |_: &mut Agent, args: &(String, u32)| {
            if args.0.len() > 3 {
                Control::stop(format!("`{}` is too long", args.0))
            } else {
                Control::Continue
            }
        },
        (),
    )
    .unwrap();
    a.attach_hook::<Before<Forward>>("later", |a: &mut Agent, _: &(String, u32)| a.log.push("later".into()), ())
        .unwrap();
    a.attach_hook::<After<Forward>>("a", log_after, ()).unwrap();
    a.attach_hook::<OnError<Forward>>("e", log_error, ()).unwrap();

    let Err(NodeError::Vetoed(veto)) = a.forward("hello", 2) else { panic!("not vetoed") };
    assert_eq!(veto.stage(), "Forward");
    assert_eq!(veto.observer(), "guard");
    assert_eq!(veto.reason(), "`hello` is too long");
    assert_eq!(veto.to_string(), "stage `Forward` vetoed by `guard`: `hello` is too long");
    // The method did not run; the later BEFORE observer was not called; a veto is not an error
    // of the method, so no ERROR (nor AFTER) observer saw it.
    assert_eq!(a.log, ["before hello 2"]);

    a.log.clear();
    assert_eq!(a.forward("hey", 2), Ok(6));
    assert_eq!(a.log, ["before hey 2", "later", "body hey 2", "after 6 (\"hey\", 2)"]);
}

#[test]
fn a_static_before_observer_vetoes_under_its_method_name() {
    let mut w = Watched::default();
    w.attach_hook::<Before<Forward>>(
        "attached_before",
        |w: &mut Watched, _: &(String, u32)| w.log.push("attached_before".into()),
        (),
    )
    .unwrap();
    let Err(NodeError::Vetoed(veto)) = w.forward("x", 500) else { panic!("not vetoed") };
    assert_eq!((veto.observer(), veto.reason()), ("guard", "500 is too many"));
    assert_eq!(w.log, ["guard 500"]);
}

stage!(pub Score(Vec<f64>) -> f64);

#[derive(Hooks, Default)]
#[provides_hooks(Score)]
struct Scorer {
    attached: AttachedHooks,
    log: Vec<String>,
}

#[hooks]
impl Scorer {
    #[stage(Score)]
    fn score(&mut self, xs: &[f64]) -> f64 {
        self.log.push(format!("body {xs:?}"));
        xs.iter().sum()
    }
}

#[test]
fn an_infallible_stage_cannot_be_vetoed_the_method_runs() {
    let mut s = Scorer::default();
    s.attach_hook::<Before<Score>>(
        "stopper",
        |s: &mut Scorer, _: &(Vec<f64>,)| {
            s.log.push("stopper".into());
            Control::stop("no scores today")
        },
        (),
    )
    .unwrap();
    s.attach_hook::<Before<Score>>("later", |s: &mut Scorer, _: &(Vec<f64>,)| s.log.push("later".into()), ()).unwrap();
    s.attach_hook::<After<Score>>(
        "after",
        |s: &mut Scorer, r: &Returned<Score>| s.log.push(format!("after {} {:?}", r.output, r.args.0)),
        (),
    )
    .unwrap();
    assert_eq!(s.score(&[1.0, 2.5]), 3.5);
    // The stop cannot veto, but it still ends the BEFORE run: `later` is not called (the stop is
    // "logged", the run loop's usual meaning of a stop is kept).
    assert_eq!(s.log, ["stopper", "body [1.0, 2.5]", "after 3.5 [1.0, 2.5]"]);
}

// ---- observer failures never change the method's result.

#[test]
fn failing_and_panicking_after_observers_are_reported_and_the_result_is_kept() {
    let errors = Errors::default();
    let mut a = Agent::default();
    a.attach_hook_with::<After<Forward>, _, _>(collecting("fails", &errors), |_: &mut Agent, r: &Returned<Forward>| {
        Err::<(), _>(format!("cannot store {}", r.output))
    })
    .unwrap();
    a.attach_hook_with::<After<Forward>, _, _>(collecting("panics", &errors), panicking_after).unwrap();
    a.attach_hook::<After<Forward>>("ok", log_after, ()).unwrap();

    assert_eq!(a.forward("abc", 2), Ok(6));
    assert_eq!(a.log, ["body abc 2", "after 6 (\"abc\", 2)"], "the third observer still ran");
    let errors = errors.lock().unwrap();
    assert_eq!(errors.len(), 2);
    assert!(
        matches!(&errors[0], HookError::Failed { owner: "Agent", method, hook_type: "Forward.AFTER", source }
            if method == "fails" && source.to_string() == "cannot store 6"),
        "{:?}",
        errors[0]
    );
    assert!(
        matches!(&errors[1], HookError::Panicked { owner: "Agent", method, hook_type: "Forward.AFTER", message }
            if method == "panics" && message == "observer boom"),
        "{:?}",
        errors[1]
    );
    assert_eq!(errors[0].to_string(), "hook `Agent::fails` (Forward.AFTER) failed: cannot store 6");
}

#[test]
fn a_failing_before_observer_does_not_veto() {
    let errors = Errors::default();
    let mut a = Agent::default();
    a.attach_hook_with::<Before<Forward>, _, _>(collecting("strict", &errors), |_: &mut Agent, _: &(String, u32)| {
        Err::<Control, _>("no opinion")
    })
    .unwrap();
    a.attach_hook::<Before<Forward>>("b", log_before, ()).unwrap();
    assert_eq!(a.forward("ab", 1), Ok(2));
    assert_eq!(a.log, ["before ab 1", "body ab 1"]);
    let errors = errors.lock().unwrap();
    assert_eq!(errors.len(), 1);
    assert_eq!((errors[0].method(), errors[0].hook_type()), ("strict", "Forward.BEFORE"));
}

#[test]
fn a_panicking_error_observer_leaves_the_error_as_it_was() {
    let errors = Errors::default();
    let mut a = Agent::default();
    a.attach_hook_with::<OnError<Forward>, _, _>(collecting("alarm", &errors), panicking_error).unwrap();
    a.attach_hook::<OnError<Forward>>("e", log_error, ()).unwrap();
    assert_eq!(a.forward("q", 0), Err(NodeError::Failed("zero for q".into())));
    assert_eq!(a.log, ["body q 0", "error Failed(\"zero for q\") (\"q\", 0)"]);
    let errors = errors.lock().unwrap();
    assert_eq!(errors.len(), 1);
    assert!(
        matches!(&errors[0], HookError::Panicked { method, hook_type: "Forward.ERROR", message, .. }
            if method == "alarm" && message == "alarm for Failed(\"zero for q\")"),
        "{:?}",
        errors[0]
    );
}

#[test]
fn static_observer_failures_do_not_change_the_result_either() {
    let mut w = Watched::default();
    w.attach_hook::<After<Forward>>("attached_after", watched_push("attached_after"), ()).unwrap();
    // 13 = 13 * 1: `static_after` panics on it; the value comes back, later observers run.
    assert_eq!(w.forward("abcdefghijklm", 1), Ok(13));
    assert_eq!(
        w.log,
        ["guard 1", "body abcdefghijklm", "static_after 13", "attached_after", "late_after abcdefghijklm"]
    );
    // `static_error` fails: the method's error comes back unchanged.
    w.log.clear();
    assert_eq!(w.forward("x", 0), Err(NodeError::Failed("zero".into())));
    assert_eq!(w.log, ["guard 0", "body x", "static_error Failed(\"zero\")"]);
}

// ---- async observers: a stage's observers run at once.

#[tokio::test]
async fn an_async_observer_that_finishes_at_once_runs() {
    let mut a = Agent::default();
    a.attach_hook_async::<Before<Forward>, _, _>(
        "quick",
        |a, args| Box::pin(async move { a.log.push(format!("quick {}", args.0)) }),
        (),
    )
    .unwrap();
    assert_eq!(a.forward("ab", 1), Ok(2));
    assert_eq!(a.log, ["quick ab", "body ab 1"]);
}

#[tokio::test]
async fn an_async_observer_that_does_not_finish_at_once_is_dropped_and_the_others_still_run() {
    let mut a = Agent::default();
    a.attach_hook::<Before<Forward>>("b", log_before, ()).unwrap();
    a.attach_hook_async::<Before<Forward>, _, _>(
        "slow",
        |a, _| {
            Box::pin(async move {
                tokio::task::yield_now().await;
                a.log.push("slow".into())
            })
        },
        (),
    )
    .unwrap();
    a.attach_hook::<Before<Forward>>(
        "after_slow",
        |a: &mut Agent, _: &(String, u32)| a.log.push("after_slow".into()),
        (),
    )
    .unwrap();
    assert_eq!(a.forward("ab", 1), Ok(2));
    // The async observer was dropped; the observer after it still ran, as after any failure.
    assert_eq!(a.log, ["before ab 1", "after_slow", "body ab 1"]);

    // In particular a guard after it still vetoes.
    a.attach_hook::<Before<Forward>>("guard", |_: &mut Agent, _: &(String, u32)| Control::stop("closed"), ()).unwrap();
    a.log.clear();
    let Err(NodeError::Vetoed(veto)) = a.forward("ab", 1) else { panic!("the guard's veto was lost: {:?}", a.log) };
    assert_eq!(veto.observer(), "guard");
    assert_eq!(a.log, ["before ab 1", "after_slow"]);
}

#[derive(Hooks, Default)]
#[provides_hooks(Forward)]
struct SlowStatic {
    attached: AttachedHooks,
    log: Vec<&'static str>,
}

#[hooks]
impl SlowStatic {
    #[stage(Forward)]
    fn forward(&mut self, _input: &str, _n: u32) -> Result<usize, NodeError> {
        self.log.push("body");
        Ok(0)
    }

    #[hook(After<Forward>)]
    async fn slow(&mut self) {
        tokio::task::yield_now().await;
        self.log.push("slow");
    }

    #[hook(After<Forward>)]
    fn next(&mut self) {
        self.log.push("next");
    }
}

#[tokio::test]
async fn pending_async_observers_static_or_attached_do_not_stop_later_observers() {
    let mut a = Agent::default();
    a.attach_hook_async::<After<Forward>, _, _>(
        "slow",
        |_, _| Box::pin(async move { tokio::task::yield_now().await }),
        (),
    )
    .unwrap();
    a.attach_hook::<After<Forward>>("a", log_after, ()).unwrap();
    assert_eq!(a.forward("ab", 1), Ok(2));
    assert_eq!(a.log, ["body ab 1", "after 2 (\"ab\", 1)"]);

    // A static async observer: dropped, the next static one still runs.
    let mut s = SlowStatic::default();
    assert_eq!(s.forward("x", 1), Ok(0));
    assert_eq!(s.log, ["body", "next"]);
}

// ---- the argument copy is made only when an event is observed.

#[derive(Debug)]
pub struct Counted {
    clones: Arc<AtomicUsize>,
    value: u32,
}

impl Clone for Counted {
    fn clone(&self) -> Self {
        self.clones.fetch_add(1, Ordering::SeqCst);
        Counted { clones: self.clones.clone(), value: self.value }
    }
}

stage!(pub Feed(Counted) -> u32);

#[derive(Hooks, Default)]
#[provides_hooks(Feed)]
struct Feeder {
    attached: AttachedHooks,
}

#[hooks]
impl Feeder {
    #[stage(Feed)]
    fn feed(&mut self, item: &Counted) -> u32 {
        item.value * 2
    }
}

#[test]
fn arguments_are_copied_only_when_an_event_is_observed_and_once_per_call() {
    let clones = Arc::new(AtomicUsize::new(0));
    let item = Counted { clones: clones.clone(), value: 21 };
    let mut f = Feeder::default();
    assert_eq!(f.feed(&item), 42);
    assert_eq!(f.feed(&item), 42);
    assert_eq!(clones.load(Ordering::SeqCst), 0, "no observer: no copy");

    // Observing only the ERROR event (which does not fire) is enough to need the copy.
    f.attach_hook::<OnError<Feed>>("e", |_: &mut Feeder, _: &Raised<Feed>| {}, ()).unwrap();
    assert_eq!(f.feed(&item), 42);
    assert_eq!(clones.load(Ordering::SeqCst), 1);

    // Three observers over the three events: still one copy per call.
    f.attach_hook::<Before<Feed>>("b", |_: &mut Feeder, args: &(Counted,)| assert_eq!(args.0.value, 21), ()).unwrap();
    f.attach_hook::<After<Feed>>("a", |_: &mut Feeder, r: &Returned<Feed>| assert_eq!(r.output, 42), ()).unwrap();
    assert_eq!(f.feed(&item), 42);
    assert_eq!(clones.load(Ordering::SeqCst), 2);

    f.remove_hook::<OnError<Feed>>("e").unwrap();
    f.remove_hook::<Before<Feed>>("b").unwrap();
    f.remove_hook::<After<Feed>>("a").unwrap();
    assert_eq!(f.feed(&item), 42);
    assert_eq!(clones.load(Ordering::SeqCst), 2, "observers removed: no copy again");
}

// ---- a stage provided by a base.

#[derive(Hooks, Default)]
#[provides_hooks(Forward)]
struct Core {
    attached: AttachedHooks,
    log: Vec<String>,
}

#[hooks]
impl Core {
    #[hook(After<Forward>)]
    fn core_after(&mut self, r: &Returned<Forward>) {
        self.log.push(format!("core_after {}", r.output));
    }
}

/// Provides nothing itself and has no hook storage: both come from its base.
#[derive(Hooks, Default)]
struct Wrapper {
    #[hooks(base)]
    core: Core,
}

#[hooks]
impl Wrapper {
    #[stage(Forward)]
    fn forward(&mut self, input: &str, n: u32) -> Result<usize, NodeError> {
        self.core.log.push(format!("body {input}"));
        Ok(input.len() * n as usize)
    }

    #[hook(After<Forward>)]
    fn wrapper_after(&mut self, r: &Returned<Forward>) {
        self.core.log.push(format!("wrapper_after {:?}", r.args));
    }
}

#[test]
fn a_stage_provided_by_a_base() {
    assert!(Wrapper::provides::<Before<Forward>>());
    let mut w = Wrapper::default();
    w.attach_hook::<Before<Forward>>(
        "b",
        |w: &mut Wrapper, args: &(String, u32)| w.core.log.push(format!("before {}", args.0)),
        (),
    )
    .unwrap();
    w.attach_hook::<After<Forward>>("a", |w: &mut Wrapper, _: &Returned<Forward>| w.core.log.push("a".into()), ())
        .unwrap();
    assert_eq!(w.forward("abc", 2), Ok(6));
    // The base's static observer first, then the wrapper's, then attached ones.
    assert_eq!(w.core.log, ["before abc", "body abc", "core_after 6", "wrapper_after (\"abc\", 2)", "a"]);
    let listed: Vec<_> = w.hooks::<After<Forward>>().into_iter().map(|h| (h.owner, h.method.into_owned())).collect();
    assert_eq!(
        listed,
        [("Core", "core_after".to_owned()), ("Wrapper", "wrapper_after".to_owned()), ("Wrapper", "a".to_owned())]
    );
}

#[derive(Hooks, Default)]
struct Plain {
    attached: AttachedHooks,
}

#[test]
fn observers_of_a_stage_the_component_does_not_provide_are_refused() {
    let mut p = Plain::default();
    let e = p.attach_hook::<Before<Forward>>("b", |_: &mut Plain, _: &(String, u32)| {}, ()).unwrap_err();
    assert!(
        matches!(&e, HookError::Unsupported { owner: "Plain", method, hook_type: "Forward.BEFORE" } if method == "b")
    );
    assert!(e.to_string().contains("add #[provides_hooks(Forward.BEFORE)]"), "{e}");
}

// ---- disable, enable, remove, statistics.

#[test]
fn stage_observers_can_be_disabled_enabled_and_removed() {
    let mut a = observed_agent();
    a.disable_hook::<Before<Forward>>("b").unwrap();
    a.disable_hook::<After<Forward>>("a").unwrap();
    assert_eq!(a.forward("ab", 1), Ok(2));
    assert_eq!(a.log, ["body ab 1"]);
    let listed: Vec<_> = a.hooks::<Before<Forward>>().iter().map(|h| (h.method.to_string(), h.enabled)).collect();
    assert_eq!(listed, [("b".to_owned(), false)]);

    a.log.clear();
    a.enable_hook::<Before<Forward>>("b").unwrap();
    assert_eq!(a.forward("ab", 1), Ok(2));
    assert_eq!(a.log, ["before ab 1", "body ab 1"]);

    a.log.clear();
    a.remove_hook::<Before<Forward>>("b").unwrap();
    a.remove_hook::<OnError<Forward>>("e").unwrap();
    assert_eq!(a.forward("ab", 0), Err(NodeError::Failed("zero for ab".into())));
    assert_eq!(a.log, ["body ab 0"]);
    assert!(a.hooks::<Before<Forward>>().is_empty());
    assert!(matches!(
        a.remove_hook::<Before<Forward>>("b"),
        Err(HookError::UnknownHook { hook_type: "Forward.BEFORE", .. })
    ));
    // Names are per event: "a" is an AFTER observer, not a BEFORE one.
    assert!(matches!(a.disable_hook::<Before<Forward>>("a"), Err(HookError::UnknownHook { .. })));
}

#[test]
fn static_stage_observers_can_be_disabled_not_removed() {
    let mut w = Watched::default();
    w.disable_hook::<Before<Forward>>("guard").unwrap();
    w.disable_hook::<After<Forward>>("static_after").unwrap();
    // Disabled, the guard vetoes nothing.
    assert_eq!(w.forward("x", 500), Ok(500));
    assert_eq!(w.log, ["body x", "late_after x"]);
    let e = w.remove_hook::<Before<Forward>>("guard").unwrap_err();
    assert!(
        matches!(&e, HookError::StaticHook { method, hook_type: "Forward.BEFORE", .. } if method == "guard"),
        "{e:?}"
    );
}

#[test]
fn stage_observers_are_counted_by_stats() {
    let mut a = observed_agent();
    a.enable_stats().unwrap();
    a.forward("a", 1).unwrap();
    a.forward("a", 2).unwrap();
    a.forward("a", 0).unwrap_err();
    let calls = |infos: Vec<HookInfo>| infos.iter().map(|h| h.calls).collect::<Vec<_>>();
    assert_eq!(calls(a.hooks::<Before<Forward>>()), [3]);
    assert_eq!(calls(a.hooks::<After<Forward>>()), [2]);
    assert_eq!(calls(a.hooks::<OnError<Forward>>()), [1]);
}

#[test]
fn a_stage_on_a_component_declared_inside_a_function() {
    #[derive(Hooks, Default)]
    #[provides_hooks(Score)]
    struct Local {
        attached: AttachedHooks,
        seen: Vec<f64>,
    }

    #[hooks]
    impl Local {
        #[stage(Score)]
        fn score(&mut self, xs: &[f64]) -> f64 {
            xs.iter().product()
        }
    }

    let mut l = Local::default();
    l.attach_hook::<After<Score>>("a", |l: &mut Local, r: &Returned<Score>| l.seen.push(r.output), ()).unwrap();
    assert_eq!(l.score(&[2.0, 4.0]), 8.0);
    assert_eq!(l.seen, [8.0]);
}
