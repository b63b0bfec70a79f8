//! `registry`: what a run-time named hook costs against a static (attribute) hook and against the
//! hand-written boxed loop of `hook_dispatch`, all in one run; and what a context filter that skips
//! 90 % of the hooks costs against running them all.
//!
//! For N = 10 and 100 plain-`fn` no-op hooks of one hook type:
//! - `static`: a component with N `#[hook(Noop)]` methods, `run_hooks::<Noop>()`;
//! - `named`: a component with no static hook and N hooks attached with `attach_hook_with`;
//! - `boxed_loop`: `Vec<Box<dyn for<'a> Fn(&'a mut T) -> Pin<Box<dyn Future + Send + 'a>>>>`;
//! - `report_all` / `report_filtered`: `run_hooks_report` over the N named hooks, 90 % of them
//!   tagged with another context; without a context (all run) and with one (90 % skipped).
//!
//! Run with `cargo bench --bench registry`; the table at the end gives ns/hook and the ratios.

#[macro_use]
mod support;

use std::future::Future;
use std::hint::black_box;
use std::pin::Pin;
use std::time::Duration;

use criterion::Criterion;
use hooks_runtime::prelude::*;
use support::{figure, poll_once, ratio, Key, Noop};

/// `registry/variant/N`.
struct Case {
    n: usize,
    variant: &'static str,
}

impl Key for Case {
    fn group(&self) -> String {
        "registry".to_owned()
    }

    fn variant(&self) -> &'static str {
        self.variant
    }

    fn parameter(&self) -> String {
        self.n.to_string()
    }
}

type Results = support::Results<Case>;

names_10!(noop_component!(fn Static10));
names_100!(noop_component!(fn Static100));

/// A component whose hooks are all attached at run time.
#[derive(Hooks, Default)]
#[provides_hooks(Noop)]
struct Named {
    attached: AttachedHooks,
}

fn named(n: usize, tagged: impl Fn(usize) -> bool) -> Named {
    let mut c = Named::default();
    for i in 0..n {
        let mut spec = HookSpec::new(format!("h{i}"));
        if tagged(i) {
            spec = spec.context("other");
        }
        c.attach_hook_with::<Noop, _, _>(spec, |c: &mut Named, _: &()| {
            black_box(c);
        })
        .expect("Named provides Noop");
    }
    c
}

type BoxedHook<T> = Box<dyn for<'a> Fn(&'a mut T) -> Pin<Box<dyn Future<Output = ()> + Send + 'a>> + Send + Sync>;

fn boxed_loop(n: usize) -> Vec<BoxedHook<Named>> {
    (0..n)
        .map(|_| {
            let hook: BoxedHook<Named> = Box::new(|c: &mut Named| {
                Box::pin(async move {
                    black_box(c);
                })
            });
            hook
        })
        .collect()
}

fn bench_n<S: HooksMixin + Default>(criterion: &mut Criterion, results: &Results, n: usize) {
    let mut s = S::default();
    assert_eq!(s.hooks::<Noop>().len(), n);
    results.bench(criterion, Case { n, variant: "static" }, || {
        poll_once(black_box(&mut s).run_hooks::<Noop>()).expect("no-op hooks succeed");
    });
    let mut c = named(n, |_| false);
    results.bench(criterion, Case { n, variant: "named" }, || {
        poll_once(black_box(&mut c).run_hooks::<Noop>()).expect("no-op hooks succeed");
    });
    let (mut c, hooks) = (Named::default(), boxed_loop(n));
    results.bench(criterion, Case { n, variant: "boxed_loop" }, || {
        poll_once(async {
            let c = black_box(&mut c);
            for hook in &hooks {
                hook(c).await;
            }
        });
    });
    let mut c = named(n, |i| i % 10 != 0);
    results.bench(criterion, Case { n, variant: "report_all" }, || {
        black_box(poll_once(c.run_hooks_report::<Noop>(&(), RunSpec::new())));
    });
    results.bench(criterion, Case { n, variant: "report_filtered" }, || {
        black_box(poll_once(c.run_hooks_report::<Noop>(&(), RunSpec::new().context("mine"))));
    });
}

fn main() {
    let mut criterion = support::criterion(Duration::from_millis(500), Duration::from_secs(2), 30);
    let results = Results::default();
    bench_n::<Static10>(&mut criterion, &results, 10);
    bench_n::<Static100>(&mut criterion, &results, 100);
    criterion.final_summary();
    if !support::timed_run() {
        return;
    }
    println!();
    println!("registry: ns per hook (criterion slope estimate), same run");
    println!(
        "{:>4}  {:<16} {:>9} {:>11} {:>13} {:>14}",
        "N", "variant", "ns/hook", "vs static", "vs boxed_loop", "vs report_all"
    );
    results.each(|s| {
        let per_hook = |ns: Option<f64>| ns.map(|ns| ns / s.key.n as f64);
        let ns = per_hook(s.ns_per_iter());
        println!(
            "{:>4}  {:<16} {:>9} {:>11} {:>13} {:>14}",
            s.key.n,
            s.key.variant,
            figure(ns, 2),
            ratio(ns, per_hook(results.ns(&s.key, "static"))),
            ratio(ns, per_hook(results.ns(&s.key, "boxed_loop"))),
            ratio(ns, per_hook(results.ns(&s.key, "report_all"))),
        );
    });
}
