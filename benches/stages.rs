//! `stages`: what a stage (`#[stage(Forward)]`) costs around a method, and what a callback event
//! costs against a hand-written loop over callback objects, all in one run.
//!
//! - `stage`: one component with a method wrapped by `#[stage(Forward)]` and the same body in a
//!   plain method (`bare`). The stage is called with no observer (the component's attached-hook
//!   store empty, and with 1 and 10 hooks of another type attached so that the store is not
//!   empty), and with 1 and 10 attached no-op observers of BEFORE only and of AFTER only.
//!   `run_hooks`: the same BEFORE observers run by `run_hooks_with::<Before<Forward>>` without the
//!   method, the share of the run loop.
//! - `callbacks`: a host with 1 and 10 no-op callback objects (`add_callback`), one event run with
//!   `run_hooks_report` (timed, and `report_untimed`: `RunSpec::untimed()`, what the trainer
//!   example does: it reports stops and failures) and with
//!   `run_hooks_with`, against (`vec_loop`) a `Vec<Box<dyn Callback>>` called in a `for` loop that
//!   stops at a `Control::Stop` and collects errors; `attached_fns`: N hooks attached with
//!   `attach_hook_with` returning what a callback returns, run with `run_hooks_with` (the run loop
//!   without the callback layer: shared object, lock, trait call).
//!
//! Run with `cargo bench --bench stages`; the tables at the end give ns per call and the ratios.

#[macro_use]
mod support;

use std::hint::black_box;
use std::time::Duration;

use criterion::Criterion;
use hooks_runtime::prelude::*;
use hooks_runtime::{CallbackResult, Returned, SharedCallback};
use support::{figure, poll_once, ratio, Key};

// ---------------------------------------------------------------------------------------------
// A stage-wrapped method and the same method bare

#[derive(Debug)]
struct Refused;

impl From<Vetoed> for Refused {
    fn from(_: Vetoed) -> Self {
        Refused
    }
}

stage!(Forward(u64) -> Result<u64, Refused>);
hook_type!(Other);

#[derive(Hooks, Default)]
#[provides_hooks(Forward, Other)]
struct Node {
    attached: AttachedHooks,
}

#[hooks]
impl Node {
    #[stage(Forward)]
    fn forward(&mut self, x: u64) -> Result<u64, Refused> {
        Ok(black_box(x).wrapping_mul(3))
    }
}

impl Node {
    fn forward_bare(&mut self, x: u64) -> Result<u64, Refused> {
        Ok(black_box(x).wrapping_mul(3))
    }
}

/// A node with `n` no-op observers of `event` (`before`, `after`), or, for `other`, one hook of
/// another type.
fn node(event: &str, n: usize) -> Node {
    let mut node = Node::default();
    for i in 0..n {
        let name = format!("o{i}");
        match event {
            "before" => node.attach_hook::<Before<Forward>>(
                name,
                |_: &mut Node, args: &(u64,)| {
                    black_box(args);
                },
                (),
            ),
            "after" => node.attach_hook::<After<Forward>>(
                name,
                |_: &mut Node, r: &Returned<Forward>| {
                    black_box(r);
                },
                (),
            ),
            _ => node.attach_hook::<Other>(name, |_: &mut Node, _: &()| {}, ()),
        }
        .expect("Node provides Forward and Other");
    }
    node
}

// ---------------------------------------------------------------------------------------------
// Callback objects and the hand-written loop

hook_type!(OnStep(u64));

#[derive(Hooks, Default)]
#[provides_hooks(OnStep)]
struct Host {
    attached: AttachedHooks,
}

trait StepCallback: Send {
    fn on_step(&mut self, _host: &mut Host, _step: u64) -> CallbackResult {
        Ok(Control::Continue)
    }
}

impl CallbackHost for Host {
    type Callback = dyn StepCallback;

    fn attach_callback(&mut self, cb: &SharedCallback<dyn StepCallback>, spec: &HookSpec) -> Result<(), HookError> {
        cb.attach::<OnStep, _, _>(self, spec, |cb, host, step| cb.on_step(host, *step))
    }
}

struct Noop;

impl StepCallback for Noop {
    fn on_step(&mut self, host: &mut Host, step: u64) -> CallbackResult {
        black_box((host, step));
        Ok(Control::Continue)
    }
}

fn host(n: usize) -> Host {
    let mut host = Host::default();
    for i in 0..n {
        host.add_callback(format!("cb{i}"), Box::new(Noop)).expect("Host provides OnStep");
    }
    host
}

/// The baseline: the callbacks in a `Vec`, called in order; a stop ends the loop, errors are kept.
fn run_vec_loop(host: &mut Host, callbacks: &mut [Box<dyn StepCallback>], step: u64) -> Vec<hooks_runtime::BoxError> {
    let mut errors = Vec::new();
    for cb in callbacks.iter_mut() {
        match cb.on_step(host, step) {
            Ok(Control::Stop(_)) => break,
            Ok(_) => {}
            Err(e) => errors.push(e),
        }
    }
    errors
}

// ---------------------------------------------------------------------------------------------
// Measurement

/// `stages/{group}/{variant}/{parameter}`.
struct Case {
    group: &'static str,
    /// `before`, `after`, `other`, or empty.
    event: &'static str,
    n: usize,
    variant: &'static str,
}

impl Key for Case {
    fn group(&self) -> String {
        format!("stages/{}", self.group)
    }

    fn variant(&self) -> &'static str {
        self.variant
    }

    fn parameter(&self) -> String {
        if self.event.is_empty() {
            self.n.to_string()
        } else {
            format!("{}-{}", self.event, self.n)
        }
    }
}

type Results = support::Results<Case>;

/// The stage's cases: (observed event, or `other` for hooks of another type; how many).
const STAGE_CASES: [(&str, usize); 7] =
    [("", 0), ("other", 1), ("other", 10), ("before", 1), ("before", 10), ("after", 1), ("after", 10)];

const BARE: Case = Case { group: "stage", event: "", n: 0, variant: "bare" };

fn bench_stage(criterion: &mut Criterion, results: &Results) {
    let mut bare = Node::default();
    results.bench(criterion, BARE, || {
        black_box(black_box(&mut bare).forward_bare(black_box(7))).ok();
    });
    for (event, n) in STAGE_CASES {
        let mut staged = node(event, n);
        results.bench(criterion, Case { group: "stage", event, n, variant: "stage" }, || {
            black_box(black_box(&mut staged).forward(black_box(7))).ok();
        });
        if event == "before" {
            // The same observers run as an ordinary hook type, without the method: the run loop's share.
            let mut observed = node(event, n);
            results.bench(criterion, Case { group: "stage", event, n, variant: "run_hooks" }, || {
                black_box(poll_once(black_box(&mut observed).run_hooks_with::<Before<Forward>>(&(7,)))).ok();
            });
        }
    }
}

fn bench_callbacks(criterion: &mut Criterion, results: &Results) {
    for n in [1, 10] {
        let mut with_report = host(n);
        results.bench(criterion, Case { group: "callbacks", event: "", n, variant: "run_hooks_report" }, || {
            black_box(poll_once(black_box(&mut with_report).run_hooks_report::<OnStep>(&7, RunSpec::new())));
        });
        let mut untimed = host(n);
        results.bench(criterion, Case { group: "callbacks", event: "", n, variant: "report_untimed" }, || {
            black_box(poll_once(black_box(&mut untimed).run_hooks_report::<OnStep>(&7, RunSpec::new().untimed())));
        });
        let mut plain = host(n);
        results.bench(criterion, Case { group: "callbacks", event: "", n, variant: "run_hooks_with" }, || {
            black_box(poll_once(black_box(&mut plain).run_hooks_with::<OnStep>(&7))).expect("no-op callbacks succeed");
        });
        // The run loop without the callback layer (shared object, lock, trait call): N attached
        // hooks returning what a callback returns.
        let mut attached = Host::default();
        for i in 0..n {
            let hook = |host: &mut Host, step: &u64| -> CallbackResult {
                black_box((host, step));
                Ok(Control::Continue)
            };
            attached
                .attach_hook_with::<OnStep, _, _>(HookSpec::new(format!("h{i}")), hook)
                .expect("Host provides OnStep");
        }
        results.bench(criterion, Case { group: "callbacks", event: "", n, variant: "attached_fns" }, || {
            black_box(poll_once(black_box(&mut attached).run_hooks_with::<OnStep>(&7))).expect("no-op hooks succeed");
        });
        let (mut bare_host, mut callbacks) = (Host::default(), Vec::<Box<dyn StepCallback>>::new());
        callbacks.extend((0..n).map(|_| Box::new(Noop) as Box<dyn StepCallback>));
        results.bench(criterion, Case { group: "callbacks", event: "", n, variant: "vec_loop" }, || {
            black_box(run_vec_loop(black_box(&mut bare_host), &mut callbacks, black_box(7)));
        });
    }
}

// ---------------------------------------------------------------------------------------------
// Report

fn print_tables(results: &Results) {
    let bare = results.ns(&BARE, "bare");
    println!();
    println!("stages: ns per call (criterion slope estimate) against the same method not wrapped, same run");
    println!(
        "{:<7} {:>12}  {:<9} {:>9} {:>9} {:>12}",
        "event", "observers", "variant", "ns/call", "vs bare", "+ns vs bare"
    );
    results.each(|s| {
        if s.key.group != "stage" {
            return;
        }
        let ns = s.ns_per_iter();
        let (event, observers) = match s.key.event {
            "" => ("-", s.key.n.to_string()),
            "other" => ("-", format!("0 ({} other)", s.key.n)),
            event => (event, s.key.n.to_string()),
        };
        let extra = ns.zip(bare).map(|(ns, bare)| ns - bare);
        println!(
            "{event:<7} {observers:>12}  {:<9} {:>9} {:>9} {:>12}",
            s.key.variant,
            figure(ns, 2),
            ratio(ns, bare),
            figure(extra, 2)
        );
    });
    println!();
    println!("callbacks: ns per event and per callback (criterion slope estimate), same run");
    println!("{:>3}  {:<17} {:>9} {:>12} {:>12}", "N", "variant", "ns/event", "ns/callback", "vs vec_loop");
    results.each(|s| {
        if s.key.group != "callbacks" {
            return;
        }
        let ns = s.ns_per_iter();
        println!(
            "{:>3}  {:<17} {:>9} {:>12} {:>12}",
            s.key.n,
            s.key.variant,
            figure(ns, 2),
            figure(ns.map(|ns| ns / s.key.n as f64), 2),
            ratio(ns, results.ns(&s.key, "vec_loop")),
        );
    });
    let none = results.ns(&Case { group: "stage", event: "", n: 0, variant: "stage" }, "stage");
    if let Some(extra) = none.zip(bare).map(|(ns, bare)| ns - bare) {
        println!();
        println!(
            "goal (a stage with no observer costs at most a few ns over the bare method): +{extra:.2} ns ({})",
            ratio(none, bare)
        );
    }
}

fn main() {
    let mut criterion = support::criterion(Duration::from_millis(500), Duration::from_secs(2), 30);
    let results = Results::default();
    bench_stage(&mut criterion, &results);
    bench_callbacks(&mut criterion, &results);
    criterion.final_summary();
    if support::timed_run() {
        print_tables(&results);
    }
}
