//! `hook_dispatch`: what `run_hooks` costs per hook, against the code it replaces.
//!
//! For 1, 10 and 100 no-op hooks of one custom hook type, once as `async fn` and once as plain `fn`:
//!
//! - `run_hooks`: `component.run_hooks::<Noop>()`, the statically registered hooks;
//! - (a) `direct`: the same methods called (and awaited) one after the other by hand;
//! - (b) `boxed_loop`: a hand-written `Vec<Box<dyn for<'a> Fn(&'a mut T) -> Pin<Box<dyn Future + Send + 'a>>>>`
//!   over closures calling the same methods;
//! - (c) `dyn_fn_loop`, plain `fn` only: a `Vec<Box<dyn Fn(&mut T)>>`, the cheapest dynamic dispatch;
//! - (d) `boxed_table`, `async fn` only: a `static` table of
//!   `for<'a> fn(&'a mut T) -> Pin<Box<dyn Future<Output = ()> + Send + 'a>>` pointers, one per method,
//!   awaited in a loop: the baseline of issue #13's row "10 async no-op hooks" (goal <= 1.2x);
//! - (e) `fn_table`, plain `fn` only: a `static` table of `fn(&mut T)` pointers (the methods
//!   themselves), called in a loop: the baseline of the row "10 plain `fn` hooks" (goal <= 2x).
//!
//! And a run with no hooks of its type (issue #13's row "a run with no hooks of the type", goal
//! <= 1.5x): `run_hooks::<Unhooked>()` on a component that provides `Unhooked` but has hooks of
//! `Noop` only, against (e) over an empty static table.
//!
//! The tables' addresses pass through `black_box` on every run, so the compiler cannot read the
//! pointers out of the `static` and call the methods directly: the calls stay indirect, as the
//! framework's are.
//!
//! Every variant is one future driven by the same driver: polled once with a no-op waker (no hook
//! awaits anything, so one poll completes it). Each hook's body only passes `self` through
//! `black_box`, so that the direct calls of baseline (a) are not optimised away.
//!
//! Heap allocations are counted by a `#[global_allocator]` around `System`, outside criterion's timing.
//! After criterion, a table gives ns/hook and the ratios to the static table of the same kind ((d) or
//! (e)), to (b) and to (a), then the three goals, all from this run: each timed batch of
//! criterion's `iter_custom` is recorded, and the estimate is criterion's own (the slope of time over
//! iterations across the measurement samples).
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
use support::{figure, poll_once, quotient, ratio, Key, Noop};

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

/// Baseline (d): a static table entry per `async fn` hook.
type BoxedFn<T> = for<'a> fn(&'a mut T) -> Pin<Box<dyn Future<Output = ()> + Send + 'a>>;

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

/// Baseline (d): the static table's loop.
async fn run_boxed_table<T>(this: &mut T, table: &[BoxedFn<T>]) {
    for hook in table {
        hook(this).await;
    }
}

/// Baseline (e): the static table's loop (one future, as every variant).
async fn run_fn_table<T>(this: &mut T, table: &[fn(&mut T)]) {
    for hook in table {
        hook(this);
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
    /// Baseline (d), `async fn` hooks only: a static table of functions boxing each method's future.
    fn boxed_table() -> Option<&'static [BoxedFn<Self>]>;
    /// Baseline (e), plain `fn` hooks only: a static table of the methods as `fn` pointers.
    fn fn_table() -> Option<&'static [fn(&mut Self)]>;
}

/// `component!(async|fn Name [h0 h1 ..])`: a `#[hooks]` impl with one `#[hook(Noop)]` method per name,
/// and its [`Fixture`]. The attribute is written here, not passed in, so `#[hooks]` sees it as is.
macro_rules! component {
    (async $name:ident [$($hook:ident)*]) => {
        noop_component!(async $name [$($hook)*]);

        impl Fixture for $name {
            const KIND: &'static str = ASYNC_FN;
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

            fn boxed_table() -> Option<&'static [BoxedFn<Self>]> {
                // One named function per method (a fn item, so it coerces to the table's pointer).
                $(
                    fn $hook(this: &mut $name) -> Pin<Box<dyn Future<Output = ()> + Send + '_>> {
                        Box::pin(this.$hook())
                    }
                )*
                static TABLE: &[BoxedFn<$name>] = &[$($hook),*];
                Some(TABLE)
            }

            fn fn_table() -> Option<&'static [fn(&mut Self)]> {
                None
            }
        }
    };
    (fn $name:ident [$($hook:ident)*]) => {
        noop_component!(fn $name [$($hook)*]);

        impl Fixture for $name {
            const KIND: &'static str = PLAIN_FN;
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

            fn boxed_table() -> Option<&'static [BoxedFn<Self>]> {
                None
            }

            fn fn_table() -> Option<&'static [fn(&mut Self)]> {
                static TABLE: &[fn(&mut $name)] = &[$($name::$hook),*];
                Some(TABLE)
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

hook_type!(
    /// A hook type [`NoHooksOfType`] provides and has no hook of.
    Unhooked
);

/// Issue #13's "a run with no hooks of the type": provides `Unhooked`, has one hook of `Noop` only.
#[derive(Hooks)]
#[provides_hooks(Noop, Unhooked)]
struct NoHooksOfType;

#[hooks]
impl NoHooksOfType {
    #[hook(Noop)]
    fn h0(&mut self) {
        black_box(self);
    }
}

/// Its baseline: the static table (e), empty.
static EMPTY_TABLE: &[fn(&mut NoHooksOfType)] = &[];

// ---------------------------------------------------------------------------------------------
// Measurement

/// Variants, in table order: criterion's function ids (filter with e.g. `-- fn/boxed_loop`).
const RUN_HOOKS: &str = "run_hooks";
const DIRECT: &str = "direct";
const BOXED_LOOP: &str = "boxed_loop";
const DYN_FN_LOOP: &str = "dyn_fn_loop";
const BOXED_TABLE: &str = "boxed_table";
const FN_TABLE: &str = "fn_table";

/// Kinds of hooks: criterion's groups, `hook_dispatch/{kind}`.
const ASYNC_FN: &str = "async fn";
const PLAIN_FN: &str = "fn";
const NO_HOOKS: &str = "no hooks";

/// A variant as the table shows it.
fn label(variant: &str) -> &str {
    match variant {
        DIRECT => "(a) direct",
        BOXED_LOOP => "(b) boxed_loop",
        DYN_FN_LOOP => "(c) dyn_fn_loop",
        BOXED_TABLE => "(d) boxed_table",
        FN_TABLE => "(e) fn_table",
        other => other,
    }
}

/// The static table a kind of hooks is compared with (issue #13's baselines).
fn table_of(kind: &str) -> &'static str {
    if kind == ASYNC_FN {
        BOXED_TABLE
    } else {
        FN_TABLE
    }
}

/// One variant at one N (0 for the run with no hooks of its type), as `hook_dispatch/{kind}/variant/N`,
/// and its allocations per run.
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
    if let Some(table) = C::boxed_table() {
        let mut component = C::default();
        bench_variant(criterion, results, C::KIND, C::HOOKS, BOXED_TABLE, || {
            poll_once(run_boxed_table(black_box(&mut component), black_box(table)));
        });
    }
    if let Some(table) = C::fn_table() {
        let mut component = C::default();
        bench_variant(criterion, results, C::KIND, C::HOOKS, FN_TABLE, || {
            poll_once(run_fn_table(black_box(&mut component), black_box(table)));
        });
    }
}

/// A run with no hooks of its type, against the empty static table.
fn bench_no_hooks(criterion: &mut Criterion, results: &Results) {
    assert!(NoHooksOfType.hooks::<Unhooked>().is_empty() && NoHooksOfType.hooks::<Noop>().len() == 1);
    let mut component = NoHooksOfType;
    bench_variant(criterion, results, NO_HOOKS, 0, RUN_HOOKS, || {
        black_box(poll_once(component.run_hooks::<Unhooked>())).expect("an empty run succeeds");
    });
    let mut component = NoHooksOfType;
    bench_variant(criterion, results, NO_HOOKS, 0, FN_TABLE, || {
        poll_once(run_fn_table(black_box(&mut component), black_box(EMPTY_TABLE)));
    });
}

// ---------------------------------------------------------------------------------------------
// Report

fn print_table(results: &Results) {
    println!();
    println!(
        "hook_dispatch: ns per hook (N = 0: per run; criterion slope estimate) and ratio to the static table \
         of the same kind ((d) for async fn, (e) for fn), to (b) and to (a), same run"
    );
    println!(
        "{:<9} {:>4}  {:<16} {:>10} {:>9} {:>9} {:>9} {:>12} {:>13}",
        "hooks", "N", "variant", "ns/hook", "vs table", "vs (b)", "vs (a)", "allocs/run", "allocs/hook"
    );
    results.each(|s| {
        // Per hook; per run for the run with no hooks.
        let hooks = s.key.hooks.max(1) as f64;
        let per_hook = |ns: Option<f64>| ns.map(|ns| ns / hooks);
        let ns = per_hook(s.ns_per_iter());
        println!(
            "{:<9} {:>4}  {:<16} {:>10} {:>9} {:>9} {:>9} {:>12.2} {:>13.2}",
            s.key.kind,
            s.key.hooks,
            label(s.key.variant),
            figure(ns, 2),
            ratio(ns, per_hook(results.ns(&s.key, table_of(s.key.kind)))),
            ratio(ns, per_hook(results.ns(&s.key, BOXED_LOOP))),
            ratio(ns, per_hook(results.ns(&s.key, DIRECT))),
            s.key.allocations_per_run,
            s.key.allocations_per_run / hooks,
        );
    });

    println!();
    println!("goals (issue #13), run_hooks against its baseline of the same run:");
    let goals = [
        (ASYNC_FN, 10, "10 async no-op hooks vs static fn-pointer table of boxed futures (d)", 1.2),
        (PLAIN_FN, 10, "10 plain fn hooks vs static table of plain fn pointers (e)", 2.0),
        (NO_HOOKS, 0, "a run with no hooks of the type vs the same table, empty (e)", 1.5),
    ];
    for (kind, hooks, row, goal) in goals {
        let key = Case { kind, hooks, variant: RUN_HOOKS, allocations_per_run: 0.0 };
        match quotient(results.ns(&key, RUN_HOOKS), results.ns(&key, table_of(kind))) {
            Some(r) => {
                let verdict = if r <= goal { "met" } else { "NOT met" };
                println!("  {row}: {r:.2}x (goal <= {goal}x): {verdict}");
            }
            None => println!("  {row}: not measured in this run"),
        }
    }
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
    bench_no_hooks(&mut criterion, &results);
    criterion.final_summary();
    // `cargo test` (`--test`), `--list` and `--profile-time` run nothing criterion times: no table.
    if support::timed_run() {
        print_table(&results);
    }
}
