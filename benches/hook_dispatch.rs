//! `hook_dispatch`: what `run_hooks` costs per hook, against the code it replaces.
//!
//! For 1, 10 and 100 no-op hooks of one custom hook type, once as `async fn` and once as plain `fn`:
//!
//! - `run_hooks`: `component.run_hooks::<Noop>()`, the statically registered hooks;
//! - (a) `direct`: the same methods called (and awaited) one after the other by hand;
//! - (b) `boxed_loop`: a hand-written `Vec<Box<dyn for<'a> Fn(&'a mut T) -> Pin<Box<dyn Future + Send + 'a>>>>`
//!   over closures calling the same methods;
//! - (c) `dyn_fn_loop`, plain `fn` only: a `Vec<Box<dyn Fn(&mut T)>>`, the cheapest dynamic dispatch.
//!
//! Every variant is one future driven by the same driver: polled once with a no-op waker (no hook
//! awaits anything, so one poll completes it). Each hook's body only passes `self` through
//! `black_box`, so that the direct calls of baseline (a) are not optimised away.
//!
//! Heap allocations are counted by a `#[global_allocator]` around `System`, outside criterion's timing.
//! After criterion, a table gives ns/hook and the ratios to (b) and (a), all from this run: each timed
//! batch of criterion's `iter_custom` is recorded, and the estimate is criterion's own (the slope of
//! time over iterations across the measurement samples).
//!
//! Run with `cargo bench --bench hook_dispatch`.

#[macro_use]
mod support;

use std::alloc::{GlobalAlloc, Layout, System};
use std::future::Future;
use std::hint::black_box;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use criterion::Criterion;
use hooks_runtime::prelude::*;
use support::{figure, poll_once, ratio, Key, Noop};

// ---------------------------------------------------------------------------------------------
// Allocation counting

/// Counts allocations while [`COUNTING`] is set; otherwise costs one relaxed load per allocation.
struct CountingAllocator;

static COUNTING: AtomicBool = AtomicBool::new(false);
static ALLOCATIONS: AtomicU64 = AtomicU64::new(0);

impl CountingAllocator {
    #[inline]
    fn count() {
        if COUNTING.load(Ordering::Relaxed) {
            ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        }
    }
}

// SAFETY: every method forwards its arguments unchanged to `System`, which upholds the
// `GlobalAlloc` contract; the counting only touches atomics and never allocates.
#[allow(unsafe_code)]
unsafe impl GlobalAlloc for CountingAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        Self::count();
        // SAFETY: the caller's guarantees for `layout` are passed on as they are.
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        Self::count();
        // SAFETY: as for `alloc`.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        Self::count();
        // SAFETY: `ptr` was allocated by `System` (through this allocator) with `layout`.
        unsafe { System.realloc(ptr, layout, new_size) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` was allocated by `System` (through this allocator) with `layout`.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOCATOR: CountingAllocator = CountingAllocator;

/// Allocations (including reallocations) per call of `f`, averaged over `runs` calls.
fn allocations_per_run(runs: u64, mut f: impl FnMut()) -> f64 {
    f(); // first call: one-time initialisation (registry index, per-type table) is not per run
    ALLOCATIONS.store(0, Ordering::Relaxed);
    COUNTING.store(true, Ordering::Relaxed);
    for _ in 0..runs {
        f();
    }
    COUNTING.store(false, Ordering::Relaxed);
    ALLOCATIONS.load(Ordering::Relaxed) as f64 / runs as f64
}

// ---------------------------------------------------------------------------------------------
// Components with 1, 10 and 100 no-op hooks

/// Baseline (b): one hand-boxed future per hook.
type BoxedHook<T> = Box<dyn for<'a> Fn(&'a mut T) -> Pin<Box<dyn Future<Output = ()> + Send + 'a>> + Send + Sync>;

/// Baseline (c): a plain dynamic call per hook.
type DynFnHook<T> = Box<dyn Fn(&mut T) + Send + Sync>;

/// Gives a closure the higher-ranked signature of [`BoxedHook`].
fn boxed<T>(
    f: impl for<'a> Fn(&'a mut T) -> Pin<Box<dyn Future<Output = ()> + Send + 'a>> + Send + Sync + 'static,
) -> BoxedHook<T> {
    Box::new(f)
}

/// Baseline (b): the hand-written loop.
async fn run_boxed<T>(this: &mut T, hooks: &[BoxedHook<T>]) {
    for hook in hooks {
        hook(this).await;
    }
}

/// A component with `HOOKS` no-op hooks of type [`Noop`] and the same calls written by hand.
trait Fixture: HooksMixin + Default {
    const KIND: &'static str;
    const HOOKS: usize;
    /// Baseline (a): each method called directly (and awaited, for `async fn`).
    async fn direct(&mut self);
    /// Baseline (b): one boxed closure per method.
    fn boxed_loop() -> Vec<BoxedHook<Self>>;
    /// Baseline (c), plain `fn` hooks only: one `Box<dyn Fn>` per method.
    fn dyn_fn_loop() -> Option<Vec<DynFnHook<Self>>>;
}

/// `component!(async|fn Name [h0 h1 ..])`: a `#[hooks]` impl with one `#[hook(Noop)]` method per name,
/// and its [`Fixture`]. The attribute is written here, not passed in, so `#[hooks]` sees it as is.
macro_rules! component {
    (async $name:ident [$($hook:ident)*]) => {
        noop_component!(async $name [$($hook)*]);

        impl Fixture for $name {
            const KIND: &'static str = "async fn";
            const HOOKS: usize = [$(stringify!($hook)),*].len();

            async fn direct(&mut self) {
                $(self.$hook().await;)*
            }

            fn boxed_loop() -> Vec<BoxedHook<Self>> {
                vec![$(boxed(|this: &mut Self| Box::pin(this.$hook()))),*]
            }

            fn dyn_fn_loop() -> Option<Vec<DynFnHook<Self>>> {
                None
            }
        }
    };
    (fn $name:ident [$($hook:ident)*]) => {
        noop_component!(fn $name [$($hook)*]);

        impl Fixture for $name {
            const KIND: &'static str = "fn";
            const HOOKS: usize = [$(stringify!($hook)),*].len();

            async fn direct(&mut self) {
                $(self.$hook();)*
            }

            fn boxed_loop() -> Vec<BoxedHook<Self>> {
                vec![$(boxed(|this: &mut Self| Box::pin(async move { this.$hook() }))),*]
            }

            fn dyn_fn_loop() -> Option<Vec<DynFnHook<Self>>> {
                Some(vec![$(Box::new(|this: &mut Self| this.$hook())),*])
            }
        }
    };
}

names_1!(component!(async Async1));
names_10!(component!(async Async10));
names_100!(component!(async Async100));
names_1!(component!(fn Fn1));
names_10!(component!(fn Fn10));
names_100!(component!(fn Fn100));

// ---------------------------------------------------------------------------------------------
// Measurement

/// Variants, in table order: criterion's function ids (filter with e.g. `-- fn/boxed_loop`).
const RUN_HOOKS: &str = "run_hooks";
const DIRECT: &str = "direct";
const BOXED_LOOP: &str = "boxed_loop";
const DYN_FN_LOOP: &str = "dyn_fn_loop";

/// A variant as the table shows it.
fn label(variant: &str) -> &str {
    match variant {
        DIRECT => "(a) direct",
        BOXED_LOOP => "(b) boxed_loop",
        DYN_FN_LOOP => "(c) dyn_fn_loop",
        other => other,
    }
}

/// One variant at one N, as `hook_dispatch/{kind}/variant/N`, and its allocations per run.
struct Case {
    kind: &'static str,
    hooks: usize,
    variant: &'static str,
    allocations_per_run: f64,
}

impl Key for Case {
    fn group(&self) -> String {
        format!("hook_dispatch/{}", self.kind.replace(' ', "_"))
    }

    fn variant(&self) -> &'static str {
        self.variant
    }

    fn parameter(&self) -> String {
        self.hooks.to_string()
    }
}

type Results = support::Results<Case>;

fn bench_variant(
    criterion: &mut Criterion,
    results: &Results,
    kind: &'static str,
    hooks: usize,
    variant: &'static str,
    mut run: impl FnMut(),
) {
    let allocations_per_run = allocations_per_run(1_000, &mut run);
    results.bench(criterion, Case { kind, hooks, variant, allocations_per_run }, run);
}

fn bench_fixture<C: Fixture>(criterion: &mut Criterion, results: &Results) {
    // The methods come from a macro_rules expansion: check that `#[hooks]` registered every one.
    assert_eq!(C::default().hooks::<Noop>().len(), C::HOOKS, "{} x {}: hooks not registered", C::HOOKS, C::KIND);
    let mut component = C::default();
    bench_variant(criterion, results, C::KIND, C::HOOKS, RUN_HOOKS, || {
        black_box(poll_once(component.run_hooks::<Noop>())).expect("no-op hooks succeed");
    });
    let mut component = C::default();
    bench_variant(criterion, results, C::KIND, C::HOOKS, DIRECT, || {
        poll_once(black_box(&mut component).direct());
    });
    let (mut component, hooks) = (C::default(), C::boxed_loop());
    bench_variant(criterion, results, C::KIND, C::HOOKS, BOXED_LOOP, || {
        poll_once(run_boxed(black_box(&mut component), &hooks));
    });
    if let Some(hooks) = C::dyn_fn_loop() {
        let mut component = C::default();
        bench_variant(criterion, results, C::KIND, C::HOOKS, DYN_FN_LOOP, || {
            poll_once(async {
                let this = black_box(&mut component);
                for hook in &hooks {
                    hook(this);
                }
            });
        });
    }
}

// ---------------------------------------------------------------------------------------------
// Report

fn print_table(results: &Results) {
    println!();
    println!("hook_dispatch: ns per hook (criterion slope estimate) and ratio to baselines (b) and (a), same run");
    println!(
        "{:<9} {:>4}  {:<16} {:>10} {:>9} {:>9} {:>12} {:>13}",
        "hooks", "N", "variant", "ns/hook", "vs (b)", "vs (a)", "allocs/run", "allocs/hook"
    );
    results.each(|s| {
        let per_hook = |ns: Option<f64>| ns.map(|ns| ns / s.key.hooks as f64);
        let ns = per_hook(s.ns_per_iter());
        println!(
            "{:<9} {:>4}  {:<16} {:>10} {:>9} {:>9} {:>12.2} {:>13.2}",
            s.key.kind,
            s.key.hooks,
            label(s.key.variant),
            figure(ns, 2),
            ratio(ns, per_hook(results.ns(&s.key, BOXED_LOOP))),
            ratio(ns, per_hook(results.ns(&s.key, DIRECT))),
            s.key.allocations_per_run,
            s.key.allocations_per_run / s.key.hooks as f64,
        );
    });
}

fn main() {
    let mut criterion = support::criterion(Duration::from_millis(500), Duration::from_secs(2), 30);
    let results = Results::default();
    bench_fixture::<Async1>(&mut criterion, &results);
    bench_fixture::<Async10>(&mut criterion, &results);
    bench_fixture::<Async100>(&mut criterion, &results);
    bench_fixture::<Fn1>(&mut criterion, &results);
    bench_fixture::<Fn10>(&mut criterion, &results);
    bench_fixture::<Fn100>(&mut criterion, &results);
    criterion.final_summary();
    // `cargo test` (`--test`), `--list` and `--profile-time` run nothing criterion times: no table.
    if support::timed_run() {
        print_table(&results);
    }
}
