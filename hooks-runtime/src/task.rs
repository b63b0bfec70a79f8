//! Background tasks: when each `#[background_task]` hook of a running component runs next.
//!
//! Tasks are run by the component's own task, one hook at a time with `&mut self`, interleaved with
//! everything else the component does between hooks. The policy:
//! - `immediate = true` (default): first run as soon as the component is `Running`; otherwise after
//!   one interval.
//! - The next run is scheduled one `interval` after the previous run **completes**: a task never
//!   overlaps itself, and ticks missed while it (or another hook) ran are skipped, never bursted.
//! - No interval: the task runs once. An interval computed from the instance (a closure) is
//!   computed again after every run, before the wait: a run that changes the period changes the
//!   next wait.
//! - An error is logged and the task goes on, unless `stop_on_error = true`, which ends that task
//!   (the component keeps running). A panic counts as an error.
//! - Tasks are cancelled when stop begins, before the `on_stop` hooks run; a run in progress is
//!   dropped at its next `.await`.

use std::borrow::Cow;

use hooks_core::{HookInfo, TaskSpec};
use tokio::time::Instant;

/// One background task of a running component.
pub(crate) struct Task {
    /// Its position in `hooks::<BackgroundTask>()`.
    pub(crate) position: usize,
    pub(crate) method: Cow<'static, str>,
    pub(crate) spec: TaskSpec,
    /// Its interval is computed from the instance: resolved again before every wait.
    pub(crate) dynamic: bool,
    /// When it runs next; `None` once it is over.
    pub(crate) next: Option<Instant>,
}

impl Task {
    /// The tasks of a component that has just reached `Running`, from its listed hooks.
    pub(crate) fn schedule(hooks: Vec<HookInfo>, now: Instant) -> Vec<Task> {
        hooks
            .into_iter()
            .enumerate()
            .map(|(position, hook)| {
                let spec = spec_of(&hook);
                let first = if spec.immediate { now } else { now + spec.interval.unwrap_or_default() };
                Task { position, method: hook.method, spec, dynamic: hook.dynamic_params, next: Some(first) }
            })
            .collect()
    }

    /// After a run of a task whose interval is computed from the instance: the spec resolved now
    /// (the run may have changed the period), from the component's listed hooks.
    pub(crate) fn refresh(&mut self, hooks: &[HookInfo]) {
        if let Some(hook) = hooks.get(self.position).filter(|h| h.method == self.method) {
            self.spec = spec_of(hook);
        }
    }

    /// The earliest next run among `tasks`.
    pub(crate) fn next_due(tasks: &[Task]) -> Option<Instant> {
        tasks.iter().filter_map(|t| t.next).min()
    }

    /// After a run that ended at `now`: the next run, if any.
    pub(crate) fn reschedule(&mut self, failed: bool, now: Instant) {
        self.next = if failed && self.spec.stop_on_error { None } else { self.spec.interval.map(|d| now + d) };
    }
}

/// A background task hook's spec (its one param), or the defaults.
fn spec_of(hook: &HookInfo) -> TaskSpec {
    hook.params.first().and_then(|p| p.downcast_ref::<TaskSpec>()).copied().unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn task(interval: Option<u64>, immediate: bool, stop_on_error: bool) -> Task {
        let spec = TaskSpec { interval: interval.map(Duration::from_secs), immediate, stop_on_error };
        Task { position: 0, method: "t".into(), spec, dynamic: false, next: None }
    }

    #[test]
    fn the_next_run_counts_from_the_end_of_the_last_one() {
        let now = Instant::now();
        let mut t = task(Some(5), true, false);
        t.reschedule(false, now + Duration::from_secs(7));
        assert_eq!(t.next, Some(now + Duration::from_secs(12)));
        t.reschedule(true, now);
        assert_eq!(t.next, Some(now + Duration::from_secs(5)), "an error does not end it");
    }

    #[test]
    fn stop_on_error_and_run_once_end_the_task() {
        let now = Instant::now();
        let mut t = task(Some(5), true, true);
        t.reschedule(true, now);
        assert_eq!(t.next, None);
        let mut once = task(None, true, false);
        once.reschedule(false, now);
        assert_eq!(once.next, None);
    }
}
