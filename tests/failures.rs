//! DESIGN.md "Failures": fail-fast startup hooks, collect-all for the rest with every failure
//! attributed, panics caught with their message, timeouts reported by name.

use std::time::Duration;

use hooks_runtime::prelude::*;

#[derive(Debug, thiserror::Error)]
#[error("disk full")]
struct DiskFull;

hook_type!(pub OnFlush);

#[derive(Hooks, Default)]
#[provides_hooks(OnFlush)]
struct Flaky {
    #[hooks(base)]
    service: Service,
    ran: Vec<&'static str>,
}

#[hooks]
impl Flaky {
    #[on_init]
    fn init_ok(&mut self) {
        self.ran.push("init_ok");
    }
    #[on_init]
    async fn init_fails(&mut self) -> Result<(), DiskFull> {
        self.ran.push("init_fails");
        Err(DiskFull)
    }
    #[on_init]
    fn init_never(&mut self) {
        self.ran.push("init_never");
    }

    #[on_start]
    fn start_panics(&mut self) {
        self.ran.push("start_panics");
        panic!("boom at start");
    }
    #[on_start]
    fn start_never(&mut self) {
        self.ran.push("start_never");
    }

    #[on_stop]
    fn stop_fails(&mut self) -> Result<(), String> {
        self.ran.push("stop_fails");
        Err("cannot flush".to_owned())
    }
    #[on_stop]
    async fn stop_panics(&mut self) {
        self.ran.push("stop_panics");
        tokio::task::yield_now().await;
        panic!("boom at stop: {}", 7);
    }
    #[on_stop]
    fn stop_ok(&mut self) -> Result<u32, std::io::Error> {
        self.ran.push("stop_ok");
        Ok(3)
    }

    #[hook(OnFlush, timeout = "1s")]
    async fn flush_hangs(&mut self) {
        self.ran.push("flush_hangs");
        tokio::time::sleep(Duration::from_secs(60)).await;
        self.ran.push("flush_hangs_done");
    }
    #[hook(OnFlush, timeout = "1s")]
    async fn flush_quick(&mut self) {
        tokio::time::sleep(Duration::from_millis(500)).await;
        self.ran.push("flush_quick");
    }
}

#[tokio::test]
async fn startup_hooks_fail_fast_at_the_first_error() {
    let mut f = Flaky::default();
    let err = f.run_hooks::<OnInit>().await.unwrap_err();
    assert_eq!(f.ran, ["init_ok", "init_fails"]);
    assert_eq!(err.errors().len(), 1);
    let e = &err.errors()[0];
    assert_eq!((e.owner(), e.method(), e.hook_type()), ("Flaky", "init_fails", "OnInit"));
    assert!(matches!(e, HookError::Failed { .. }));
    assert_eq!(std::error::Error::source(e).unwrap().to_string(), "disk full");
    assert_eq!(e.to_string(), "hook `Flaky::init_fails` (OnInit) failed: disk full");
}

#[tokio::test]
async fn a_panicking_start_hook_is_caught_and_stops_the_run() {
    let mut f = Flaky::default();
    let err = f.run_hooks::<OnStart>().await.unwrap_err();
    assert_eq!(f.ran, ["start_panics"]);
    match &err.errors()[0] {
        HookError::Panicked { message, method, .. } => {
            assert_eq!(message, "boom at start");
            assert_eq!(method, "start_panics");
        }
        other => panic!("expected Panicked, got {other:?}"),
    }
}

#[tokio::test]
async fn other_hooks_collect_every_failure_in_execution_order() {
    let mut f = Flaky::default();
    let err = f.run_hooks_reversed::<OnStop>().await.unwrap_err();
    assert_eq!(f.ran, ["stop_ok", "stop_panics", "stop_fails"], "every stop hook ran");
    let failed: Vec<(&str, &str)> = err.errors().iter().map(|e| (e.method(), e.hook_type())).collect();
    assert_eq!(failed, [("stop_panics", "OnStop"), ("stop_fails", "OnStop")]);
    assert!(matches!(&err.errors()[0], HookError::Panicked { message, .. } if message == "boom at stop: 7"));
    assert!(matches!(&err.errors()[1], HookError::Failed { source, .. } if source.to_string() == "cannot flush"));
    assert_eq!(
        err.to_string(),
        "2 hooks failed: hook `Flaky::stop_panics` (OnStop) panicked: boom at stop: 7; \
         hook `Flaky::stop_fails` (OnStop) failed: cannot flush"
    );
}

#[tokio::test(start_paused = true)]
async fn a_hook_past_its_timeout_is_cancelled_and_reported_by_name() {
    let mut f = Flaky::default();
    let err = f.run_hooks::<OnFlush>().await.unwrap_err();
    assert_eq!(f.ran, ["flush_hangs", "flush_quick"], "the hung hook was cancelled, the next one ran");
    match err.errors() {
        [HookError::TimedOut { method, timeout, .. }] => {
            assert_eq!(method, "flush_hangs");
            assert_eq!(*timeout, Duration::from_secs(1));
        }
        other => panic!("expected one TimedOut, got {other:?}"),
    }
    assert_eq!(f.hooks::<OnFlush>()[0].timeout, Some(Duration::from_secs(1)));
}

#[tokio::test]
async fn attach_hook_refuses_an_unprovided_hook_type() {
    let mut f = Flaky::default();
    let err = f.attach_hook::<OnMessage>("late", |_: &mut Flaky, _: &Message| {}, ()).unwrap_err();
    assert!(matches!(err, HookError::Unsupported { .. }));
    assert_eq!((err.owner(), err.method(), err.hook_type()), ("Flaky", "late", "OnMessage"));
    assert!(err.to_string().contains("add #[provides_hooks(OnMessage)] to `Flaky`"), "{err}");
    assert!(f.hooks::<OnMessage>().is_empty(), "nothing was attached");
    // Attaching to a type with nowhere to keep the hook does not compile:
    // tests/ui/fail/provides/attach-without-storage.rs.
}

#[tokio::test]
async fn attached_hooks_fail_and_panic_like_static_ones() {
    let mut f = Flaky::default();
    f.attach_hook::<OnFlush>("attached_err", |_: &mut Flaky, _: &()| Err::<(), _>("nope"), ()).unwrap();
    f.attach_hook::<OnFlush>("attached_panic", |_: &mut Flaky, _: &()| -> () { panic!("attached boom") }, ()).unwrap();
    f.attach_hook_async::<OnFlush, _, _>(
        "attached_async",
        |f: &mut Flaky, _: &()| {
            Box::pin(async move {
                f.ran.push("attached_async");
            })
        },
        (),
    )
    .unwrap();
    tokio::time::pause();
    let err = f.run_hooks::<OnFlush>().await.unwrap_err();
    let methods: Vec<&str> = err.errors().iter().map(HookError::method).collect();
    assert_eq!(methods, ["flush_hangs", "attached_err", "attached_panic"]);
    assert_eq!(f.ran.last(), Some(&"attached_async"));
}

// The fast path calls a stretch of plain `fn` hooks inside one `catch_unwind` (issue 13): a panic
// in the middle of a stretch must still be attributed to its own hook, the hooks after it must
// still run (collect-all) or not (fail-fast), in both orders, and async hooks between plain ones
// must keep their place.

hook_type!(pub OnSweep);
hook_type!(pub OnArm, fail_fast);
hook_type!(pub OnCount(u32));

#[derive(Hooks, Default)]
#[provides_hooks(OnSweep, OnArm, OnCount)]
struct Stretch {
    ran: Vec<&'static str>,
    counted: Vec<u32>,
}

#[hooks]
impl Stretch {
    #[hook(OnSweep)]
    fn a(&mut self) {
        self.ran.push("a");
    }
    #[hook(OnSweep)]
    fn b(&mut self) {
        self.ran.push("b");
        panic!("b broke");
    }
    #[hook(OnSweep)]
    async fn c(&mut self) {
        self.ran.push("c");
    }
    #[hook(OnSweep)]
    fn d(&mut self) -> Result<(), DiskFull> {
        self.ran.push("d");
        Err(DiskFull)
    }
    #[hook(OnSweep)]
    fn e(&mut self) {
        self.ran.push("e");
        panic!("e broke");
    }
    #[hook(OnSweep)]
    fn f(&mut self) {
        self.ran.push("f");
    }

    #[hook(OnArm)]
    fn first(&mut self) {
        self.ran.push("first");
    }
    #[hook(OnArm)]
    fn breaks(&mut self) {
        self.ran.push("breaks");
        panic!("armed badly");
    }
    #[hook(OnArm)]
    fn never(&mut self) {
        self.ran.push("never");
    }

    #[hook(OnCount)]
    fn count(&mut self, n: &u32) {
        self.counted.push(*n);
    }
}

fn failures(result: Result<(), MultiError>) -> Vec<String> {
    let errors = result.expect_err("the run reports its failures");
    errors.errors().iter().map(|e| format!("{}: {e}", e.method())).collect()
}

#[tokio::test]
async fn a_panic_mid_stretch_is_attributed_and_the_rest_still_run_in_both_orders() {
    let mut s = Stretch::default();
    let errors = failures(s.run_hooks::<OnSweep>().await);
    assert_eq!(s.ran, ["a", "b", "c", "d", "e", "f"]);
    assert_eq!(errors.len(), 3, "{errors:?}");
    assert!(errors[0].starts_with("b: ") && errors[0].contains("b broke"), "{errors:?}");
    assert!(errors[1].starts_with("d: ") && errors[1].contains("disk full"), "{errors:?}");
    assert!(errors[2].starts_with("e: ") && errors[2].contains("e broke"), "{errors:?}");

    s.ran.clear();
    let errors = failures(s.run_hooks_reversed::<OnSweep>().await);
    assert_eq!(s.ran, ["f", "e", "d", "c", "b", "a"]);
    let methods: Vec<&str> = errors.iter().map(|e| &e[..1]).collect();
    assert_eq!(methods, ["e", "d", "b"]);
}

#[tokio::test]
async fn a_panic_mid_stretch_of_a_fail_fast_type_ends_the_run_there() {
    let mut s = Stretch::default();
    let errors = failures(s.run_hooks::<OnArm>().await);
    assert_eq!(s.ran, ["first", "breaks"]);
    assert_eq!(errors.len(), 1);
    assert!(errors[0].starts_with("breaks: ") && errors[0].contains("armed badly"), "{errors:?}");
}

#[tokio::test]
async fn run_hooks_without_an_argument_passes_the_default_of_the_hook_types_argument() {
    let mut s = Stretch::default();
    s.run_hooks::<OnCount>().await.unwrap();
    s.run_hooks_with::<OnCount>(&7).await.unwrap();
    s.run_hooks_reversed::<OnCount>().await.unwrap();
    assert_eq!(s.counted, [0, 7, 0]);
}
