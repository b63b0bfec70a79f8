//! What a run did, hook by hook: [`RunReport`], asked for with [`RunSpec`] through
//! `HooksMixin::run_hooks_report`.

use std::any::Any;
use std::borrow::Cow;
use std::fmt;
use std::time::Duration;

use crate::error::{HookError, MultiError};

/// How to run: in a context, stopping at the first value, reversed, with a time cap per hook.
///
/// ```
/// use hooks_core::RunSpec;
///
/// let spec = RunSpec::new().context("billing").first_value();
/// # let _ = spec;
/// ```
#[derive(Debug, Clone, Default)]
#[must_use]
pub struct RunSpec {
    pub(crate) context: Option<Cow<'static, str>>,
    pub(crate) first_value: bool,
    pub(crate) reversed: bool,
    pub(crate) timeout_cap: Option<Duration>,
    pub(crate) event: Option<crate::params::Key>,
    pub(crate) untimed: bool,
}

impl RunSpec {
    /// Every hook, in order, no context.
    pub fn new() -> Self {
        Self::default()
    }

    /// Runs in context `tag`: hooks tagged with other contexts are skipped (reported as
    /// `Outcome::Filtered`); untagged hooks always run.
    pub fn context(mut self, tag: impl Into<Cow<'static, str>>) -> Self {
        self.context = Some(tag.into());
        self
    }

    /// Stops after the first hook that returns a value (pluggy's `firstresult`).
    pub fn first_value(mut self) -> Self {
        self.first_value = true;
        self
    }

    /// Runs only the hooks whose params include `event` (a named event of a `HookRegistry`,
    /// a message type); the others are left out of the report.
    pub fn event(mut self, event: impl crate::params::KeyValue) -> Self {
        self.event = Some(crate::params::Key::new(event));
        self
    }

    /// Runs in the exact reverse order.
    pub fn reversed(mut self) -> Self {
        self.reversed = true;
        self
    }

    /// Reports outcomes and values without timing the hooks: every `HookRun::duration` is zero
    /// and no statistics are recorded. For hot paths that only need to see failures and
    /// `Control::Stop` (a callback's early stop): it saves two clock reads and a statistics
    /// update per hook.
    pub fn untimed(mut self) -> Self {
        self.untimed = true;
        self
    }

    /// Caps every async hook's time (the smaller of this and the hook's own `timeout`).
    pub fn timeout_cap(mut self, cap: Duration) -> Self {
        self.timeout_cap = Some(cap);
        self
    }
}

/// What happened to one hook in a run.
#[derive(Debug)]
#[non_exhaustive]
pub enum Outcome {
    /// It ran and succeeded.
    Ok,
    /// It failed, panicked or timed out (the error says which).
    Failed(HookError),
    /// It returned `Control::Stop`: the run ended after it.
    Stopped(String),
    /// It is disabled.
    Disabled,
    /// It is tagged with contexts other than the run's.
    Filtered,
    /// It was not reached: an earlier hook stopped the run, failed a fail-fast run, or gave the
    /// first value of a `first_value` run.
    NotReached,
}

impl Outcome {
    /// A short word: `ok`, `failed`, `panicked`, `timed out`, `stopped`, `disabled`, `filtered`,
    /// `not reached`.
    pub fn label(&self) -> &'static str {
        match self {
            Outcome::Ok => "ok",
            Outcome::Failed(HookError::Panicked { .. }) => "panicked",
            Outcome::Failed(HookError::TimedOut { .. }) => "timed out",
            Outcome::Failed(_) => "failed",
            Outcome::Stopped(_) => "stopped",
            Outcome::Disabled => "disabled",
            Outcome::Filtered => "filtered",
            Outcome::NotReached => "not reached",
        }
    }
}

/// One hook's line in a [`RunReport`].
#[derive(Debug)]
#[non_exhaustive]
pub struct HookRun {
    /// The type that defines the hook.
    pub owner: &'static str,
    /// The method, or the attached name.
    pub name: Cow<'static, str>,
    /// What happened.
    pub outcome: Outcome,
    /// How long it ran (zero when it did not).
    pub duration: Duration,
    /// The value it returned, if any (`Ok(v)` with `v` neither `()` nor a `Control`).
    pub value: Option<Box<dyn Any + Send + Sync>>,
}

/// Every hook of one run, in run order, with its outcome, time and value.
///
/// ```
/// # use hooks_core::{hook_type, HooksMixin, HookSpec, RunSpec, Control};
/// # use hooks_core::__doc_component as component;
/// hook_type!(pub PreSave(u32));
/// # component!(Store, PreSave);
/// # tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap().block_on(async {
/// let mut store = Store::default();
/// store.attach_hook_with::<PreSave, _, _>(HookSpec::new("size"), |_: &mut Store, n: &u32| {
///     if *n > 10 { Control::stop("too big") } else { Control::Continue }
/// }).unwrap();
/// store.attach_hook_with::<PreSave, _, _>(HookSpec::new("count"), |s: &mut Store, _: &u32| s.total += 1).unwrap();
///
/// let report = store.run_hooks_report::<PreSave>(&50, RunSpec::new()).await;
/// assert_eq!(report.stopped(), Some(("size", "too big")));
/// assert_eq!(report.hooks[1].outcome.label(), "not reached");
/// assert_eq!(store.total, 0);
/// # });
/// ```
#[derive(Debug)]
#[non_exhaustive]
pub struct RunReport {
    /// The hook type's name.
    pub hook_type: &'static str,
    /// Every hook of the type, in run order.
    pub hooks: Vec<HookRun>,
    /// The result as replaced by around-hooks, if any wrapped the run.
    pub(crate) replaced: Option<Result<(), MultiError>>,
}

impl RunReport {
    pub(crate) fn new(hook_type: &'static str) -> Self {
        RunReport { hook_type, hooks: Vec::new(), replaced: None }
    }

    /// The failures, in execution order.
    pub fn errors(&self) -> impl Iterator<Item = &HookError> {
        self.hooks.iter().filter_map(|h| match &h.outcome {
            Outcome::Failed(e) => Some(e),
            _ => None,
        })
    }

    /// Whether no hook failed.
    pub fn is_ok(&self) -> bool {
        self.errors().next().is_none()
    }

    /// The hook that stopped the run with `Control::Stop`, and its reason.
    pub fn stopped(&self) -> Option<(&str, &str)> {
        self.hooks.iter().find_map(|h| match &h.outcome {
            Outcome::Stopped(reason) => Some((&*h.name, reason.as_str())),
            _ => None,
        })
    }

    /// Every value of type `V` the hooks returned, with the name of the hook that returned it.
    pub fn values<V: Any>(&self) -> Vec<(&str, &V)> {
        self.hooks.iter().filter_map(|h| Some((&*h.name, h.value.as_ref()?.downcast_ref::<V>()?))).collect()
    }

    /// The first value of type `V` (with `RunSpec::first_value`, the only one).
    pub fn first<V: Any>(&self) -> Option<&V> {
        self.hooks.iter().find_map(|h| h.value.as_ref()?.downcast_ref::<V>())
    }

    /// The total time of the hooks that ran.
    pub fn duration(&self) -> Duration {
        self.hooks.iter().map(|h| h.duration).sum()
    }

    /// The run's result: every failure, or what the around-hooks made of it.
    pub fn result(&self) -> Result<(), MultiError> {
        match &self.replaced {
            Some(result) => result.clone(),
            None => MultiError::from(self.errors().cloned().collect::<Vec<_>>()).into_result(),
        }
    }

    /// [`result`](Self::result), consuming the report.
    pub fn into_result(self) -> Result<(), MultiError> {
        if let Some(result) = self.replaced {
            return result;
        }
        let errors: Vec<HookError> = self
            .hooks
            .into_iter()
            .filter_map(|h| match h.outcome {
                Outcome::Failed(e) => Some(e),
                _ => None,
            })
            .collect();
        MultiError::from(errors).into_result()
    }
}

impl fmt::Display for RunReport {
    /// One line per hook: position, owner::name, outcome, time.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{} ({} hooks)", self.hook_type, self.hooks.len())?;
        for (i, h) in self.hooks.iter().enumerate() {
            let detail = match &h.outcome {
                Outcome::Failed(e) => format!(": {e}"),
                Outcome::Stopped(reason) => format!(": {reason}"),
                _ => String::new(),
            };
            let name = format!("{}::{}", h.owner, h.name);
            writeln!(
                f,
                "  {:>2}. {name:<32} {:<11} {:>10.3} ms{detail}",
                i + 1,
                h.outcome.label(),
                h.duration.as_secs_f64() * 1e3
            )?;
        }
        Ok(())
    }
}

/// A context the hooks of one run fold over: each hook may change it, later hooks see the
/// changes, and the caller takes the result (the session seed's `modified_context`). Use it as a
/// hook type's argument: `hook_type!(pub PostCheckpoint(Fold<Checkpoint>))`.
///
/// ```
/// use hooks_core::Fold;
///
/// let ctx = Fold::new(vec!["a"]);
/// ctx.update(|v| v.push("b"));
/// assert_eq!(ctx.read(|v| v.len()), 2);
/// assert_eq!(ctx.into_inner(), ["a", "b"]);
/// ```
#[derive(Debug, Default)]
pub struct Fold<C> {
    inner: std::sync::Mutex<C>,
}

impl<C> Fold<C> {
    /// Starts the fold from `context`.
    pub fn new(context: C) -> Self {
        Fold { inner: std::sync::Mutex::new(context) }
    }

    /// Changes the context.
    pub fn update<T>(&self, f: impl FnOnce(&mut C) -> T) -> T {
        f(&mut self.inner.lock().unwrap_or_else(std::sync::PoisonError::into_inner))
    }

    /// Reads the context.
    pub fn read<T>(&self, f: impl FnOnce(&C) -> T) -> T {
        f(&self.inner.lock().unwrap_or_else(std::sync::PoisonError::into_inner))
    }

    /// The context after the run.
    pub fn into_inner(self) -> C {
        self.inner.into_inner().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}
