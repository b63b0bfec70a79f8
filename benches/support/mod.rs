//! What the benches share: criterion's configuration, a one-poll driver, the tokio runtimes, criterion
//! batches recorded under a bench's own key (so that ratios can be printed from the same run),
//! criterion's own slope estimate over them (linear or flat sampling), and the table's figures.
#![allow(dead_code)] // each bench uses part of it

// Components of no-op hooks, shared by `hook_dispatch` and `registry` (`#[macro_use] mod support;`).

hooks_runtime::hook_type!(
    /// The hook type of the benches' no-op components.
    pub Noop
);

/// `noop_component!(async|fn Name [h0 h1 ..])`: a component with one no-op `#[hook(Noop)]`
/// method per name (an `async fn` or a plain `fn`); each passes `self` through `black_box`.
#[allow(unused_macros)]
macro_rules! noop_component {
    // Two arms: `#[hooks]` must see each method as written, so the `async` cannot come from a
    // nested repetition or a helper macro.
    (async $name:ident [$($hook:ident)*]) => {
        #[derive(Hooks, Default)]
        #[provides_hooks(crate::support::Noop)]
        struct $name;

        #[hooks]
        impl $name {
            $(
                #[hook(crate::support::Noop)]
                async fn $hook(&mut self) {
                    ::std::hint::black_box(self);
                }
            )*
        }
    };
    (fn $name:ident [$($hook:ident)*]) => {
        #[derive(Hooks, Default)]
        #[provides_hooks(crate::support::Noop)]
        struct $name;

        #[hooks]
        impl $name {
            $(
                #[hook(crate::support::Noop)]
                fn $hook(&mut self) {
                    ::std::hint::black_box(self);
                }
            )*
        }
    };
}

/// `names_N!(macro!(args))` calls `macro!(args [h0 .. h{N-1}])`: macro_rules cannot make identifiers.
#[allow(unused_macros)]
macro_rules! names_1 {
    ($m:ident!($($args:tt)*)) => { $m!($($args)* [h0]); };
}
#[allow(unused_macros)]
macro_rules! names_10 {
    ($m:ident!($($args:tt)*)) => { $m!($($args)* [h0 h1 h2 h3 h4 h5 h6 h7 h8 h9]); };
}
#[allow(unused_macros)]
macro_rules! names_100 {
    ($m:ident!($($args:tt)*)) => {
        $m!($($args)* [
            h00 h01 h02 h03 h04 h05 h06 h07 h08 h09 h10 h11 h12 h13 h14 h15 h16 h17 h18 h19
            h20 h21 h22 h23 h24 h25 h26 h27 h28 h29 h30 h31 h32 h33 h34 h35 h36 h37 h38 h39
            h40 h41 h42 h43 h44 h45 h46 h47 h48 h49 h50 h51 h52 h53 h54 h55 h56 h57 h58 h59
            h60 h61 h62 h63 h64 h65 h66 h67 h68 h69 h70 h71 h72 h73 h74 h75 h76 h77 h78 h79
            h80 h81 h82 h83 h84 h85 h86 h87 h88 h89 h90 h91 h92 h93 h94 h95 h96 h97 h98 h99
        ]);
    };
}

use std::cell::RefCell;
use std::future::Future;
use std::pin::pin;
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

use criterion::{BenchmarkId, Criterion};

/// Criterion configured as every bench here is (then from the command line).
pub fn criterion(warm_up: Duration, measurement: Duration, samples: usize) -> Criterion {
    Criterion::default().warm_up_time(warm_up).measurement_time(measurement).sample_size(samples).configure_from_args()
}

/// Polls `future` once with a no-op waker: for futures that never wait (no-op hooks).
#[inline]
pub fn poll_once<F: Future>(future: F) -> F::Output {
    let mut future = pin!(future);
    match future.as_mut().poll(&mut Context::from_waker(Waker::noop())) {
        Poll::Ready(output) => output,
        Poll::Pending => panic!("a future that was expected to be ready was pending"),
    }
}

/// What a bench records of one measured case, besides its batches: whatever its table shows (N,
/// allocations, units per run, ..). It names the case for criterion as `group/variant/parameter`;
/// the variants of one group and parameter are compared with each other.
pub trait Key {
    /// Criterion's group, e.g. `registry` or `lifecycle/start_stop`.
    fn group(&self) -> String;
    /// Criterion's function id: the variant measured, e.g. `boxed_loop`.
    fn variant(&self) -> &'static str;
    /// Criterion's parameter: what the variants are compared at, e.g. N or the tokio flavor.
    fn parameter(&self) -> String;
}

/// One measured case: its key and every batch criterion timed.
pub struct Series<K> {
    pub key: K,
    /// `(iterations, elapsed)` of each batch, warm-up first, then criterion's samples.
    batches: Vec<(u64, Duration)>,
}

impl<K> Series<K> {
    /// Nanoseconds per iteration, as criterion estimates it: the least-squares slope of time over
    /// iterations across the samples.
    pub fn ns_per_iter(&self) -> Option<f64> {
        let samples = measurement_samples(&self.batches);
        let (nt, nn) = samples.iter().fold((0.0, 0.0), |(nt, nn), &(n, t)| {
            let n = n as f64;
            (nt + n * t.as_nanos() as f64, nn + n * n)
        });
        (nn > 0.0).then(|| nt / nn)
    }
}

/// Criterion's samples are the trailing batches of d, 2d, .., kd iterations (linear sampling), or
/// of d iterations each (flat sampling, which criterion picks when a run is too long for linear
/// sampling in the measurement time); the warm-up before them doubles its iterations. Falls back to
/// every batch.
fn measurement_samples(batches: &[(u64, Duration)]) -> &[(u64, Duration)] {
    let n = batches.len();
    if n < 2 {
        return batches;
    }
    let step = batches[n - 1].0.wrapping_sub(batches[n - 2].0);
    let mut start = n - 1;
    while start > 0 && batches[start].0.wrapping_sub(batches[start - 1].0) == step {
        start -= 1;
    }
    // Flat: the equal batches; linear: the first sample has exactly `step` iterations.
    if step == 0 || batches[start].0 == step {
        &batches[start..]
    } else {
        batches
    }
}

/// Every series of one bench run.
pub struct Results<K>(RefCell<Vec<Series<K>>>);

impl<K> Default for Results<K> {
    fn default() -> Self {
        Self(RefCell::default())
    }
}

impl<K: Key> Results<K> {
    /// Benchmarks `run` (one iteration) as `group/variant/parameter` of `key` and records its batches.
    pub fn bench(&self, criterion: &mut Criterion, key: K, mut run: impl FnMut()) {
        self.bench_batches(criterion, key, |iters| {
            let start = Instant::now();
            for _ in 0..iters {
                run();
            }
            start.elapsed()
        });
    }

    /// Benchmarks `batch` as `group/variant/parameter` of `key` and records its batches: `batch(iters)`
    /// runs `iters` iterations and returns the time they took, for a batch that times itself (one
    /// `block_on` around the whole batch, a batch of messages timed until all of them arrived, ..).
    pub fn bench_batches(&self, criterion: &mut Criterion, key: K, mut batch: impl FnMut(u64) -> Duration) {
        let (group, id) = (key.group(), BenchmarkId::new(key.variant(), key.parameter()));
        let index = {
            let mut all = self.0.borrow_mut();
            all.push(Series { key, batches: Vec::new() });
            all.len() - 1
        };
        let mut g = criterion.benchmark_group(group);
        g.bench_function(id, |b| {
            b.iter_custom(|iters| {
                let elapsed = batch(iters);
                self.0.borrow_mut()[index].batches.push((iters, elapsed));
                elapsed
            });
        });
        g.finish();
    }

    /// The series of `variant` with the group and parameter of `like`, if measured.
    pub fn find<T>(&self, like: &K, variant: &str, f: impl FnOnce(&Series<K>) -> Option<T>) -> Option<T> {
        let (group, parameter) = (like.group(), like.parameter());
        let all = self.0.borrow();
        all.iter()
            .find(|s| s.key.variant() == variant && s.key.group() == group && s.key.parameter() == parameter)
            .and_then(f)
    }

    /// Nanoseconds per iteration of `variant` with the group and parameter of `like`.
    pub fn ns(&self, like: &K, variant: &str) -> Option<f64> {
        self.find(like, variant, Series::ns_per_iter)
    }

    /// Every series, in the order measured.
    pub fn each(&self, f: impl FnMut(&Series<K>)) {
        self.0.borrow().iter().for_each(f);
    }
}

/// A case measured in whole runs of `units` operations (components, ticks, messages, ..) on a tokio
/// runtime of kind `flavor`: `bench/case/variant/flavor` for criterion.
pub struct Run {
    pub bench: &'static str,
    pub case: &'static str,
    pub flavor: &'static str,
    pub variant: &'static str,
    /// Operations per run (one criterion iteration).
    pub units: u64,
}

impl Key for Run {
    fn group(&self) -> String {
        format!("{}/{}", self.bench, self.case)
    }

    fn variant(&self) -> &'static str {
        self.variant
    }

    fn parameter(&self) -> String {
        self.flavor.to_owned()
    }
}

impl Series<Run> {
    /// Nanoseconds per operation of a run.
    pub fn ns_per_unit(&self) -> Option<f64> {
        self.ns_per_iter().map(|ns| ns / self.key.units as f64)
    }
}

impl Results<Run> {
    /// Benchmarks `run` (one whole run of `units` operations) as `bench/case/variant/flavor`.
    pub fn bench_run(
        &self,
        criterion: &mut Criterion,
        bench: &'static str,
        (case, flavor, variant, units): (&'static str, &'static str, &'static str, u64),
        run: impl FnMut(),
    ) {
        self.bench(criterion, Run { bench, case, flavor, variant, units }, run);
    }

    /// Nanoseconds per operation of `variant` in the case and flavor of `like`.
    pub fn ns_per_unit(&self, like: &Run, variant: &str) -> Option<f64> {
        self.find(like, variant, Series::ns_per_unit)
    }
}

/// A tokio `current_thread` runtime with time, its clock paused if `paused`.
pub fn current_thread(paused: bool) -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread().enable_time().start_paused(paused).build().expect("tokio runtime")
}

/// A tokio `multi_thread` runtime of 2 workers, with time.
pub fn multi_thread() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_time().build().expect("tokio runtime")
}

/// A tokio `multi_thread` runtime of 2 workers, with time and I/O (sockets: the `nats` bench). Its
/// `net` feature comes from async-nats, a dev-dependency.
pub fn multi_thread_io() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("tokio runtime")
}

/// `value` with `decimals` decimals, or `-`.
pub fn figure(value: Option<f64>, decimals: usize) -> String {
    value.map_or_else(|| "-".to_owned(), |value| format!("{value:.decimals$}"))
}

/// `a / b`, if both are known and `b` is positive.
pub fn quotient(a: Option<f64>, b: Option<f64>) -> Option<f64> {
    match (a, b) {
        (Some(a), Some(b)) if b > 0.0 => Some(a / b),
        _ => None,
    }
}

/// The load average of the machine (`/proc/loadavg`'s first three figures), or `?`.
pub fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "?".to_owned())
}

/// `a / b` as `1.23x`, or `-`.
pub fn ratio(a: Option<f64>, b: Option<f64>) -> String {
    quotient(a, b).map_or_else(|| "-".to_owned(), |r| format!("{r:.2}x"))
}

/// Whether criterion actually timed (not `cargo test --benches`, `--list`, `--profile-time`).
pub fn timed_run() -> bool {
    let args: Vec<String> = std::env::args().collect();
    let untimed = ["--test", "--list", "--profile-time"].iter().any(|flag| args.iter().any(|arg| arg == flag));
    args.iter().any(|arg| arg == "--bench") && !untimed
}
