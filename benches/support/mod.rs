//! What the benches share: a one-poll driver, criterion batches recorded so that ratios can be
//! printed from the same run, and criterion's own slope estimate over them.
#![allow(dead_code)] // each bench uses part of it

use std::cell::RefCell;
use std::future::Future;
use std::pin::pin;
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

use criterion::{BenchmarkId, Criterion};

/// Polls `future` once with a no-op waker: for futures that never wait (no-op hooks).
pub fn poll_once<F: Future>(future: F) -> F::Output {
    let mut future = pin!(future);
    match future.as_mut().poll(&mut Context::from_waker(Waker::noop())) {
        Poll::Ready(output) => output,
        Poll::Pending => panic!("a future that was expected to be ready was pending"),
    }
}

/// One measured case: every batch criterion timed.
pub struct Series {
    pub group: &'static str,
    pub n: usize,
    pub variant: &'static str,
    /// `(iterations, elapsed)` of each batch, warm-up first, then criterion's samples.
    batches: Vec<(u64, Duration)>,
}

impl Series {
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

/// Criterion's samples are the trailing batches of d, 2d, .., kd iterations (linear sampling);
/// the warm-up before them doubles its iterations. Falls back to every batch.
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
    if batches[start].0 == step {
        &batches[start..]
    } else {
        batches
    }
}

/// Every series of one bench run.
#[derive(Default)]
pub struct Results(RefCell<Vec<Series>>);

impl Results {
    /// Benchmarks `run` as `group/variant/n` and records its batches.
    pub fn bench(
        &self,
        criterion: &mut Criterion,
        group: &'static str,
        n: usize,
        variant: &'static str,
        mut run: impl FnMut(),
    ) {
        let index = {
            let mut all = self.0.borrow_mut();
            all.push(Series { group, n, variant, batches: Vec::new() });
            all.len() - 1
        };
        let mut g = criterion.benchmark_group(group);
        g.bench_function(BenchmarkId::new(variant, n), |b| {
            b.iter_custom(|iters| {
                let start = Instant::now();
                for _ in 0..iters {
                    run();
                }
                let elapsed = start.elapsed();
                self.0.borrow_mut()[index].batches.push((iters, elapsed));
                elapsed
            });
        });
        g.finish();
    }

    /// Nanoseconds per iteration of `group/variant/n`.
    pub fn ns(&self, group: &str, n: usize, variant: &str) -> Option<f64> {
        self.0.borrow().iter().find(|s| s.group == group && s.n == n && s.variant == variant)?.ns_per_iter()
    }

    /// Every series, in the order measured.
    pub fn each(&self, f: impl FnMut(&Series)) {
        self.0.borrow().iter().for_each(f);
    }
}

/// `a / b` as `1.23x`, or `-`.
pub fn ratio(a: Option<f64>, b: Option<f64>) -> String {
    match (a, b) {
        (Some(a), Some(b)) if b > 0.0 => format!("{:.2}x", a / b),
        _ => "-".to_owned(),
    }
}

/// Whether criterion actually timed (not `cargo test --benches`, `--list`, `--profile-time`).
pub fn timed_run() -> bool {
    let args: Vec<String> = std::env::args().collect();
    let untimed = ["--test", "--list", "--profile-time"].iter().any(|flag| args.iter().any(|arg| arg == flag));
    args.iter().any(|arg| arg == "--bench") && !untimed
}
