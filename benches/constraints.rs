//! `constraints`: the complexity cliffs of issue #11 item 9, each against a baseline in the same run.
//!
//! - `attach`: a component with no static hook gets N hooks of one type attached with
//!   `attach_hook_with`, then runs them once; one iteration builds the component from scratch.
//!   - `plain` (the baseline): no constraint;
//!   - `chain`: hook i `after` hook i-1, with priorities that alone would reverse the order, so
//!     that every hook is moved;
//!   - `random`: hook i has one or two constraints on random other hooks, earlier ones (already
//!     attached) and later ones (not yet attached: no effect until they are), `before` or `after`
//!     as a hidden random rank says, so that there is never a cycle and hooks do move.
//! - `config`: a host gets N callbacks of two events each.
//!   - `attach_by_hand` (the baseline): the 2N hooks the callbacks make, attached with
//!     `attach_hook_with`;
//!   - `add_callback`: N `add_callback` calls;
//!   - `from_config`: one `add_callbacks_from_config` of N entries (built by name with serde).
//!
//! Run with `cargo bench --bench constraints`; the table at the end gives the time per run, per
//! hook or callback, and the ratio to the baseline.

#[macro_use]
mod support;

use std::hint::black_box;
use std::time::Duration;

use criterion::Criterion;
use hooks_runtime::prelude::*;
use hooks_runtime::{CallbackConfig, CallbackResult, SharedCallback};
use support::{figure, poll_once, ratio, Key, Noop};

/// `constraints/{group}/{variant}/{n}`.
struct Case {
    group: &'static str,
    n: usize,
    variant: &'static str,
}

impl Key for Case {
    fn group(&self) -> String {
        format!("constraints/{}", self.group)
    }

    fn variant(&self) -> &'static str {
        self.variant
    }

    fn parameter(&self) -> String {
        self.n.to_string()
    }
}

type Results = support::Results<Case>;

// ---------------------------------------------------------------------------------------------
// Constrained hooks

/// A component whose hooks are all attached at run time.
#[derive(Hooks, Default)]
#[provides_hooks(Noop)]
struct Named {
    attached: AttachedHooks,
}

/// A fixed pseudo-random sequence (xorshift64): the same constraints in every run.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % n as u64) as usize
    }
}

/// The specs of N hooks for `variant`.
fn specs(variant: &str, n: usize) -> Vec<HookSpec> {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    // A random permutation: constraints always point from a lower rank to a higher one.
    let mut rank: Vec<usize> = (0..n).collect();
    for i in (1..n).rev() {
        rank.swap(i, rng.below(i + 1));
    }
    (0..n)
        .map(|i| {
            let spec = HookSpec::new(format!("h{i}"));
            match variant {
                "chain" if i > 0 => spec.priority(-(i as i32)).after(format!("h{}", i - 1)),
                "random" => {
                    let mut spec = spec;
                    let mut others = vec![rng.below(n)];
                    if i > 0 {
                        others.push(rng.below(i));
                    }
                    for j in others.into_iter().filter(|&j| j != i) {
                        spec =
                            if rank[j] < rank[i] { spec.after(format!("h{j}")) } else { spec.before(format!("h{j}")) };
                    }
                    spec
                }
                _ => spec,
            }
        })
        .collect()
}

fn attach_and_run(specs: &[HookSpec]) -> Named {
    let mut c = Named::default();
    for spec in specs {
        c.attach_hook_with::<Noop, _, _>(spec.clone(), |c: &mut Named, _: &()| {
            black_box(c);
        })
        .expect("no cycle");
    }
    poll_once(c.run_hooks::<Noop>()).expect("no-op hooks succeed");
    c
}

fn bench_attach(criterion: &mut Criterion, results: &Results, n: usize) {
    for variant in ["plain", "chain", "random"] {
        let specs = specs(variant, n);
        results.bench(criterion, Case { group: "attach", n, variant }, || {
            black_box(attach_and_run(black_box(&specs)));
        });
    }
}

// ---------------------------------------------------------------------------------------------
// Callbacks from configuration

hook_type!(OnStep(u64));
hook_type!(OnEnd);

#[derive(Hooks, Default)]
#[provides_hooks(OnStep, OnEnd)]
struct Host {
    attached: AttachedHooks,
}

trait StepCallback: Send {
    fn on_step(&mut self, _host: &mut Host, _step: &u64) -> CallbackResult {
        Ok(Control::Continue)
    }
    fn on_end(&mut self, _host: &mut Host) -> CallbackResult {
        Ok(Control::Continue)
    }
}

impl CallbackHost for Host {
    type Callback = dyn StepCallback;

    fn attach_callback(&mut self, cb: &SharedCallback<dyn StepCallback>, spec: &HookSpec) -> Result<(), HookError> {
        cb.attach::<OnStep, _, _>(self, spec, |cb, host, step| cb.on_step(host, step))?;
        cb.attach::<OnEnd, _, _>(self, spec, |cb, host, _| cb.on_end(host))
    }
}

#[derive(serde::Deserialize)]
struct Counter {
    every: u64,
}

#[callback(name = "counter")]
impl StepCallback for Counter {
    fn on_step(&mut self, host: &mut Host, step: &u64) -> CallbackResult {
        black_box((host, step % self.every));
        Ok(Control::Continue)
    }
}

fn config(n: usize) -> CallbackConfig {
    let entries: Vec<String> =
        (0..n).map(|i| format!(r#"{{"name": "counter", "id": "c{i}", "settings": {{"every": {}}}}}"#, i + 1)).collect();
    CallbackConfig::from_json(&format!(r#"{{"callbacks": [{}]}}"#, entries.join(","))).expect("valid JSON")
}

fn bench_config(criterion: &mut Criterion, results: &Results, n: usize) {
    let ids: Vec<String> = (0..n).map(|i| format!("c{i}")).collect();
    results.bench(criterion, Case { group: "config", n, variant: "attach_by_hand" }, || {
        let mut host = Host::default();
        for (i, id) in ids.iter().enumerate() {
            let every = i as u64 + 1;
            let on_step = move |host: &mut Host, step: &u64| -> CallbackResult {
                black_box((host, step % every));
                Ok(Control::Continue)
            };
            host.attach_hook_with::<OnStep, _, _>(HookSpec::new(id.clone()), on_step).expect("Host provides OnStep");
            let on_end = |host: &mut Host, _: &()| -> CallbackResult {
                black_box(host);
                Ok(Control::Continue)
            };
            host.attach_hook_with::<OnEnd, _, _>(HookSpec::new(id.clone()), on_end).expect("Host provides OnEnd");
        }
        black_box(host);
    });
    results.bench(criterion, Case { group: "config", n, variant: "add_callback" }, || {
        let mut host = Host::default();
        for (i, id) in ids.iter().enumerate() {
            host.add_callback(id.clone(), Box::new(Counter { every: i as u64 + 1 })).expect("Host provides both");
        }
        black_box(host);
    });
    let config = config(n);
    results.bench(criterion, Case { group: "config", n, variant: "from_config" }, || {
        let mut host = Host::default();
        black_box(host.add_callbacks_from_config(black_box(&config)).expect("valid entries"));
        black_box(host);
    });
}

// ---------------------------------------------------------------------------------------------
// Report

fn print_table(results: &Results) {
    println!();
    println!("constraints: time per run and per hook or callback (criterion slope estimate), same run");
    println!("{:<7} {:>6}  {:<15} {:>10} {:>10} {:>12}", "group", "N", "variant", "ms/run", "ns/unit", "vs baseline");
    results.each(|s| {
        let ns = s.ns_per_iter();
        let baseline = if s.key.group == "attach" { "plain" } else { "attach_by_hand" };
        println!(
            "{:<7} {:>6}  {:<15} {:>10} {:>10} {:>12}",
            s.key.group,
            s.key.n,
            s.key.variant,
            figure(ns.map(|ns| ns / 1e6), 3),
            figure(ns.map(|ns| ns / s.key.n as f64), 1),
            ratio(ns, results.ns(&s.key, baseline)),
        );
    });
}

fn main() {
    let mut criterion = support::criterion(Duration::from_millis(500), Duration::from_secs(2), 10);
    let results = Results::default();
    for n in [1_000, 2_000] {
        bench_attach(&mut criterion, &results, n);
    }
    bench_config(&mut criterion, &results, 20_000);
    criterion.final_summary();
    if support::timed_run() {
        print_table(&results);
    }
}
