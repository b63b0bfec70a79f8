//! Running the hooks of one type on one instance: order, enabled and context filters, error
//! policy, control values, panics, timeouts, statistics, tracing.
//!
//! One loop serves both `run_hooks` (which records failures only) and `run_hooks_report` (which
//! records every hook); it is generic over what it records, so the plain run pays for nothing it
//! does not use. It is not generic over the component or the hook type (issue 13): the component
//! is a `&mut dyn Component`, the hook type a [`HookId`], the argument a `&dyn Any`, so the loop,
//! its policies, reports, statistics, timeouts, panics and tracing are compiled once, here; a
//! user's crate instantiates only the thin entries (`run_hooks::<R, H>` and the like), which
//! erase their arguments and call the loop. On the hot path a plain `fn` hook that succeeds costs its shim call and a few
//! branches; an `async fn` hook's future is awaited as is unless it has a timeout or `debug`
//! spans are on.

use std::any::{Any, TypeId};
use std::borrow::Cow;
use std::future::Future;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Arc;
use std::time::Duration;

// tokio's clock: the same as std's, except that tests on a paused clock measure simulated time.
use tokio::time::Instant;

use futures_util::FutureExt;
use tracing::Instrument;

use crate::attach::{AroundHook, AttachedHooks, HookStats, Snapshot, Wrapped};
use crate::component::Hooks;
use crate::error::{panic_message, BoxError, HookError, MultiError};
use crate::hook::HookId;
use crate::hook::{ErrorPolicy, HookType};
use crate::order::{schedule, Scheduled};
use crate::params::Key;
use crate::registry::{StaticHook, Table};
use crate::report::{HookRun, Outcome, RunReport, RunSpec};
use crate::shim::{Control, HookFuture, HookResult, HookValue, Step};

/// A component as the run loop sees it: erased, so that the loop is compiled once for every
/// component type. Implemented for every [`Hooks`] type (a handful of one-line methods each).
pub(crate) trait Component: Send {
    /// The component's type.
    fn root(&self) -> TypeId;
    /// Its name, as written.
    fn name(&self) -> &'static str;
    /// Its static hooks.
    fn table(&self) -> &'static Table;
    /// Its storage of attached hooks, if it has one.
    fn store(&mut self) -> Option<&mut AttachedHooks>;
    /// Itself, for shims and attached hooks (which downcast).
    fn any_mut(&mut self) -> &mut (dyn Any + Send);
    /// Itself, for params resolvers.
    fn any_ref(&self) -> &dyn Any;
}

impl<T: Hooks> Component for T {
    fn root(&self) -> TypeId {
        TypeId::of::<T>()
    }
    fn name(&self) -> &'static str {
        T::NAME
    }
    fn table(&self) -> &'static Table {
        T::__hooks_table()
    }
    fn store(&mut self) -> Option<&mut AttachedHooks> {
        self.__hooks_attached_mut()
    }
    fn any_mut(&mut self) -> &mut (dyn Any + Send) {
        self
    }
    fn any_ref(&self) -> &dyn Any {
        self
    }
}

/// A hook's argument, erased (`Sync`, so that a run's future is `Send`).
type Arg<'a> = &'a (dyn Any + Sync);

/// A run's argument: borrowed from the caller, or the hook type's default, made by the run
/// (`run_hooks::<H>()`: no generic future per component and hook type to hold it).
#[derive(Clone, Copy)]
pub(crate) enum ArgOf<'a> {
    Borrowed(Arg<'a>),
    /// Makes `H::Arg::default()` (a `()` argument is borrowed instead: it needs no box).
    Default(fn() -> Box<dyn Any + Send + Sync>),
}

impl ArgOf<'static> {
    /// The default argument of `H`.
    pub(crate) fn default_of<H: HookType>() -> Self
    where
        H::Arg: Default,
    {
        if TypeId::of::<H::Arg>() == TypeId::of::<()>() {
            return ArgOf::Borrowed(&());
        }
        ArgOf::Default(|| Box::new(H::Arg::default()))
    }
}

/// How a run goes beyond its hook type's defaults.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RunOptions {
    /// Run in the exact reverse order.
    pub reversed: bool,
    /// A cap on every async hook's time: the smaller of this and the hook's own `timeout`
    /// applies.
    pub timeout_cap: Option<Duration>,
    /// A budget for the whole run (a stop budget): each async hook is capped at what is left of
    /// it when the hook starts, so that the run ends within it (plus what plain `fn` hooks take).
    pub budget: Option<Duration>,
}

impl RunOptions {
    /// The cap of a hook starting now, in a run that ends by `deadline`.
    fn cap_now(&self, deadline: Option<Instant>) -> Option<Duration> {
        let left = deadline.map(|d| d.saturating_duration_since(Instant::now()));
        match (self.timeout_cap, left) {
            (Some(cap), Some(left)) => Some(cap.min(left)),
            (cap, left) => cap.or(left),
        }
    }
}

/// What a run keeps of each hook.
trait Record {
    /// Time every hook.
    const TIMED: bool;
    /// Poll each async hook once, never wait (stage observers): one that is not done then is
    /// dropped and recorded as its own failure, and the run goes on with the next hook.
    const AT_ONCE: bool = false;
    /// The run's context, if it names one (none: every hook runs).
    fn context(&self) -> Option<&str> {
        None
    }
    /// Stop after the first hook that returns a value.
    fn first_value(&self) -> bool {
        false
    }
    /// Run only the hooks whose params include this key (none: every hook).
    fn event(&self) -> Option<&Key> {
        None
    }
    /// A hook not run (disabled, filtered, not reached): nothing to keep by default.
    fn skipped(&mut self, _hook: &Scheduled<'_>, _outcome: Outcome) {}
    fn ran(&mut self, hook: &Scheduled<'_>, outcome: Outcome, value: Option<HookValue>, took: Duration);
    /// The combined result so far (what around-hooks see).
    fn result(&self) -> Result<(), MultiError>;
    /// The result as around-hooks replaced it.
    fn replace(&mut self, result: Result<(), MultiError>);
    /// The report, for around-hooks to see and replace values (report runs only).
    fn report_mut(&mut self) -> Option<&mut RunReport> {
        None
    }
}

trait RecordAround {
    /// A panic in an around-hook's first half, reported as that hook's failure.
    fn ran_around(&mut self, owner: &'static str, hook_type: &'static str, around: &AroundHook, message: String);
}

impl<T: Record> RecordAround for T {
    fn ran_around(&mut self, owner: &'static str, hook_type: &'static str, around: &AroundHook, message: String) {
        let error = HookError::Panicked { owner, method: around.name.clone(), hook_type, message };
        let mut result = self.result().err().unwrap_or_default();
        result.push(error);
        self.replace(Err(result));
    }
}

/// `run_hooks`: failures only.
impl Record for MultiError {
    const TIMED: bool = false;
    fn ran(&mut self, _: &Scheduled<'_>, outcome: Outcome, _: Option<HookValue>, _: Duration) {
        if let Outcome::Failed(error) = outcome {
            self.push(error);
        }
    }
    fn result(&self) -> Result<(), MultiError> {
        self.clone().into_result()
    }
    fn replace(&mut self, result: Result<(), MultiError>) {
        *self = result.err().unwrap_or_default();
    }
}

/// `run_hooks_report`: everything; timed unless the spec says `untimed`.
struct Reporting<'s, const TIMED: bool> {
    spec: &'s RunSpec,
    report: RunReport,
}

impl<const T: bool> Record for Reporting<'_, T> {
    const TIMED: bool = T;
    fn context(&self) -> Option<&str> {
        self.spec.context.as_deref()
    }
    fn first_value(&self) -> bool {
        self.spec.first_value
    }
    fn event(&self) -> Option<&Key> {
        self.spec.event.as_ref()
    }
    fn skipped(&mut self, hook: &Scheduled<'_>, outcome: Outcome) {
        self.ran(hook, outcome, None, Duration::ZERO);
    }
    fn ran(&mut self, hook: &Scheduled<'_>, outcome: Outcome, value: Option<HookValue>, took: Duration) {
        let (owner, name) = names(hook);
        let value = match value {
            Some(HookValue::Value(v)) => Some(v),
            _ => None,
        };
        self.report.hooks.push(HookRun { owner, name, outcome, duration: took, value });
    }
    fn result(&self) -> Result<(), MultiError> {
        self.report.result()
    }
    fn replace(&mut self, result: Result<(), MultiError>) {
        self.report.replaced = Some(result);
    }
    fn report_mut(&mut self) -> Option<&mut RunReport> {
        Some(&mut self.report)
    }
}

/// A stage's run: failures, and the observer that stopped it (a BEFORE observer's veto).
#[derive(Default)]
pub(crate) struct Staged {
    pub(crate) errors: MultiError,
    /// (observer, reason)
    pub(crate) stopped: Option<(Cow<'static, str>, String)>,
}

impl Record for Staged {
    const TIMED: bool = false;
    const AT_ONCE: bool = true;
    fn ran(&mut self, hook: &Scheduled<'_>, outcome: Outcome, _: Option<HookValue>, _: Duration) {
        match outcome {
            Outcome::Failed(error) => self.errors.push(error),
            Outcome::Stopped(reason) => self.stopped = Some((names(hook).1, reason)),
            _ => {}
        }
    }
    fn result(&self) -> Result<(), MultiError> {
        self.errors.clone().into_result()
    }
    fn replace(&mut self, result: Result<(), MultiError>) {
        self.errors = result.err().unwrap_or_default();
    }
}

/// Runs the hooks of type `H` on `this` for a stage: failures and a veto.
pub(crate) fn run_staged<'a, R: Hooks, H: HookType>(
    this: &'a mut R,
    arg: &'a H::Arg,
) -> impl Future<Output = Staged> + Send + 'a {
    run_staged_erased(this, HookId::of::<H>(), arg)
}

async fn run_staged_erased(this: &mut dyn Component, hook: &'static HookId, arg: Arg<'_>) -> Staged {
    let mut staged = Staged::default();
    run(this, hook, arg, RunOptions::default(), &mut staged).await;
    staged
}

/// Runs every hook of the type `hook` on `this` with `arg`; returns every failure.
pub(crate) async fn run_hooks(
    this: &mut dyn Component,
    hook: &'static HookId,
    arg: ArgOf<'_>,
    options: RunOptions,
) -> Result<(), MultiError> {
    let arg = match arg {
        ArgOf::Borrowed(arg) => arg,
        // Rare (a default argument other than `()`): boxed, so that the argument the run owns
        // costs the common run nothing.
        ArgOf::Default(make) => return Box::pin(run_owned(this, hook, make(), options)).await,
    };
    let mut errors = MultiError::default();
    // The fast path: static hooks only, nothing attached, disabled or wrapped, no statistics,
    // history or budget. Its loop is here, not in a function of its own, so that the run's
    // future (which callers move) holds its arguments once.
    let (root, statics) = (this.root(), this.table().of(hook.id()));
    let plain = hook.history == 0
        && options.budget.is_none()
        && this.store().is_none_or(|store| !store.touches(root, hook.id()));
    if !plain {
        // Boxed: the general loop's states would make every run's future larger.
        Box::pin(run(this, hook, arg, options, &mut errors)).await;
        return errors.into_result();
    }
    let this = this.any_mut();
    if tracing::level_enabled!(tracing::Level::DEBUG) {
        // Boxed: inlined, its states would make every run's future larger, for the rare path.
        Box::pin(run_statics_traced(this, statics, hook, arg, options, &mut errors)).await;
        return errors.into_result();
    }
    let mut order = statics.iter();
    loop {
        // The plain-fn stretch: hooks that return `()` (or `Ok(())`) at once are only called;
        // the first async hook, or the first with something to look at, ends it. A panic ends it
        // too: `at` names the hook that raised it.
        let mut at = None;
        let stretch = catch_unwind(AssertUnwindSafe(|| loop {
            let next = if options.reversed { order.next_back() } else { order.next() };
            let Some(h) = next else { return Stretch::End };
            at = Some(h);
            if h.reg.is_async {
                return Stretch::Async(h);
            }
            let Some(target) = h.owner_mut(&mut *this) else {
                return Stretch::Done(h, Err(mismatch(h.reg.owner_name, "a receiver of another type")));
            };
            match (h.reg.call)(target, arg) {
                Step::Done(Ok(HookValue::Unit)) => {}
                Step::Done(result) => return Stretch::Done(h, result),
                Step::Pending(_) => {
                    return Stretch::Done(h, Err(mismatch(h.reg.owner_name, "a future from a plain fn")))
                }
            }
        }));
        let (h, result) = match stretch {
            Ok(Stretch::End) => return errors.into_result(),
            Ok(Stretch::Done(h, Ok(value))) => (h, Ok(value)),
            Ok(Stretch::Done(h, Err(error))) => (h, Err(Failure::Error(error))),
            Ok(Stretch::Async(h)) => {
                let scheduled = Scheduled::Static(h);
                let result = match call(&mut *this, &scheduled, arg) {
                    Ok(Step::Done(Ok(value))) => Ok(value),
                    Ok(Step::Done(Err(error))) => Err(Failure::Error(error)),
                    // No timeout, no spans: `settle`'s first poll, in place (no state of its own).
                    Ok(Step::Pending(mut future))
                        if h.reg.timeout.is_none()
                            && options.timeout_cap.is_none()
                            && !tracing::level_enabled!(tracing::Level::DEBUG) =>
                    {
                        let first = std::future::poll_fn(|cx| {
                            std::task::Poll::Ready(catch_unwind(AssertUnwindSafe(|| future.as_mut().poll(cx))))
                        })
                        .await;
                        match first {
                            Ok(std::task::Poll::Ready(result)) => settled(Ok(result)),
                            Ok(std::task::Poll::Pending) => Box::pin(wait(&scheduled, hook, future)).await,
                            Err(payload) => settled(Err(payload)),
                        }
                    }
                    Ok(Step::Pending(future)) => settle(&scheduled, hook, future, options.timeout_cap).await,
                    Err(payload) => Err(Failure::Panic(panic_message(&*payload))),
                };
                (h, result)
            }
            Err(payload) => match at {
                Some(h) => (h, Err(Failure::Panic(panic_message(&*payload)))),
                None => return errors.into_result(),
            },
        };
        if outcome(&Scheduled::Static(h), hook, options, result, &mut errors) {
            return errors.into_result();
        }
    }
}

/// [`run_hooks`] with an argument it made (`H::Arg::default()`).
async fn run_owned(
    this: &mut dyn Component,
    hook: &'static HookId,
    arg: Box<dyn Any + Send + Sync>,
    options: RunOptions,
) -> Result<(), MultiError> {
    run_hooks(this, hook, ArgOf::Borrowed(&*arg), options).await
}

/// Runs every hook of the type `hook` on `this` with `arg` as `spec` says; reports every hook.
pub(crate) async fn run_hooks_report(
    this: &mut dyn Component,
    hook: &'static HookId,
    arg: Arg<'_>,
    spec: RunSpec,
) -> RunReport {
    let spec = &spec;
    let options = RunOptions { reversed: spec.reversed, timeout_cap: spec.timeout_cap, budget: None };
    if spec.untimed {
        let mut reporting = Reporting::<false> { spec, report: RunReport::new(hook.name) };
        run(this, hook, arg, options, &mut reporting).await;
        return reporting.report;
    }
    let mut reporting = Reporting::<true> { spec, report: RunReport::new(hook.name) };
    run(this, hook, arg, options, &mut reporting).await;
    reporting.report
}

/// The loop: in order (static and attached hooks as one list), skipping disabled and filtered
/// hooks, applying the hook type's error policy and `Control::Stop`.
async fn run<Rec: Record>(this: &mut dyn Component, hook: &HookId, arg: Arg<'_>, options: RunOptions, rec: &mut Rec) {
    let (root, hook_type, owner) = (this.root(), hook.id(), this.name());
    let statics = this.table().of(hook_type);
    // One look-up of the component's store: everything the run needs from it, taken now (a run
    // works on a snapshot).
    let (attached, disabled, static_stats, stats_enabled, arounds) = match this.store() {
        None => (Snapshot::default(), Vec::new(), Vec::new(), false, Vec::new()),
        Some(store) => {
            if hook.history > 0 {
                if let Some(copy) = (hook.remember)(arg) {
                    store.remember((root, hook_type), copy, hook.history);
                }
            }
            let stats = if store.stats_on() {
                statics
                    .iter()
                    .filter_map(|h| store.static_stats((root, hook_type, h.reg.owner_name, h.reg.method)))
                    .collect()
            } else {
                Vec::new()
            };
            (
                store.snapshot_cached(root, hook_type),
                store.disabled_static(root, hook_type),
                stats,
                store.stats_on(),
                store.arounds(root, hook_type),
            )
        }
    };
    for around in &arounds {
        if let Err(payload) = catch_unwind(AssertUnwindSafe(|| (around.before)(this.any_mut(), arg))) {
            rec.ran_around(owner, hook.name, around, panic_message(&*payload));
        }
    }
    let deadline = options.budget.map(|budget| Instant::now() + budget);
    // Attached hooks keep their own statistics: with stats on, and in every report.
    let stats_on = stats_enabled || (Rec::TIMED && !attached.is_empty());
    let traced = tracing::level_enabled!(tracing::Level::DEBUG);
    let mut stopped = false;
    for scheduled in schedule(statics, &attached, options.reversed) {
        if let Some(event) = rec.event() {
            let params = match &scheduled {
                Scheduled::Static(h) => h.params(this.any_ref()),
                Scheduled::Attached(h) => h.params_of(this.any_ref()).unwrap_or_default(),
            };
            if !params.iter().any(|p| p.as_key() == Some(event)) {
                continue;
            }
        }
        if stopped {
            rec.skipped(&scheduled, Outcome::NotReached);
            continue;
        }
        if let Some(skip) = skip(&scheduled, &disabled, rec.context()) {
            rec.skipped(&scheduled, skip);
            continue;
        }
        let start = (Rec::TIMED || stats_on).then(Instant::now);
        let mut cap = options.timeout_cap;
        let result = match call_traced(this.any_mut(), &scheduled, hook, arg, traced) {
            Ok(Step::Done(Ok(HookValue::Unit))) if !Rec::TIMED && !stats_on => continue,
            Ok(Step::Done(Ok(value))) => Ok(value),
            Ok(Step::Done(Err(error))) => Err(Failure::Error(error)),
            Ok(Step::Pending(future)) if Rec::AT_ONCE => at_once(future),
            Ok(Step::Pending(future)) => match settle(&scheduled, hook, future, {
                cap = options.cap_now(deadline);
                cap
            })
            .await
            {
                Ok(HookValue::Unit) if !Rec::TIMED && !stats_on => continue,
                result => result,
            },
            Err(payload) => Err(Failure::Panic(panic_message(&*payload))),
        };
        let took = start.map(|s| s.elapsed()).unwrap_or_default();
        if let Some(stats) = stats_of(&scheduled, statics, &static_stats).filter(|_| stats_on) {
            stats.record(took);
        }
        match result {
            Ok(HookValue::Control(Control::Stop(reason))) => {
                stopped = true;
                rec.ran(&scheduled, Outcome::Stopped(reason), None, took);
            }
            Ok(value) => {
                stopped = rec.first_value() && matches!(value, HookValue::Value(_));
                rec.ran(&scheduled, Outcome::Ok, Some(value), took);
            }
            Err(failure) => {
                let error = attribute(&scheduled, hook, cap, failure);
                call_error_handler(&scheduled, &error);
                stopped = hook.policy == ErrorPolicy::FailFast;
                rec.ran(&scheduled, Outcome::Failed(error), None, took);
            }
        }
    }
    // Innermost first: each around-hook sees the result (and values) the ones inside it made.
    for around in arounds.iter().rev() {
        let inner = rec.result();
        let mut wrapped = Wrapped { result: inner, report: rec.report_mut(), owner, name: around.name.clone() };
        if let Err(payload) = catch_unwind(AssertUnwindSafe(|| (around.after)(this.any_mut(), arg, &mut wrapped))) {
            wrapped.result = Err(MultiError::from(HookError::Panicked {
                owner,
                method: around.name.clone(),
                hook_type: hook.name,
                message: panic_message(&*payload),
            }));
        }
        let result = wrapped.result;
        rec.replace(result);
    }
}

/// How a stretch of the fast path ended.
enum Stretch<'s> {
    /// Every hook ran.
    End,
    /// At an async hook, not called yet.
    Async(&'s StaticHook),
    /// At a plain `fn` hook that returned a value, a control or an error.
    Done(&'s StaticHook, HookResult),
}

/// The error of a shim that does not fit its registration (ruled out by the tables).
#[cold]
fn mismatch(owner: &'static str, what: &'static str) -> BoxError {
    format!("internal: a `{owner}` hook's shim does not fit its registration ({what})").into()
}

/// The fast path of [`run_hooks`] with `debug` on: each hook in its span.
#[cold]
async fn run_statics_traced<Rec: Record>(
    this: &mut (dyn Any + Send),
    statics: &[StaticHook],
    hook: &HookId,
    arg: Arg<'_>,
    options: RunOptions,
    rec: &mut Rec,
) {
    let mut order = statics.iter();
    loop {
        let next = if options.reversed { order.next_back() } else { order.next() };
        let Some(h) = next else { return };
        let scheduled = Scheduled::Static(h);
        let result = match call_traced(&mut *this, &scheduled, hook, arg, true) {
            Ok(Step::Done(Ok(HookValue::Unit))) => continue,
            Ok(Step::Done(Ok(value))) => Ok(value),
            Ok(Step::Done(Err(error))) => Err(Failure::Error(error)),
            Ok(Step::Pending(future)) => settle(&scheduled, hook, future, options.timeout_cap).await,
            Err(payload) => Err(Failure::Panic(panic_message(&*payload))),
        };
        if outcome(&scheduled, hook, options, result, rec) {
            return;
        }
    }
}

/// What the fast path does with one hook's result: `true` when the run ends here (a
/// `Control::Stop`, or a failure of a fail-fast type).
#[inline]
fn outcome<Rec: Record>(
    scheduled: &Scheduled<'_>,
    hook: &HookId,
    options: RunOptions,
    result: Result<HookValue, Failure>,
    rec: &mut Rec,
) -> bool {
    match result {
        Ok(HookValue::Control(Control::Stop(_))) => true,
        Ok(_) => false,
        Err(failure) => {
            let error = attribute(scheduled, hook, options.timeout_cap, failure);
            rec.ran(scheduled, Outcome::Failed(error), None, Duration::ZERO);
            hook.policy == ErrorPolicy::FailFast
        }
    }
}

/// Why a hook is not run: disabled, or tagged with other contexts than the run's.
#[inline]
fn skip(hook: &Scheduled<'_>, disabled: &[Cow<'static, str>], context: Option<&str>) -> Option<Outcome> {
    match hook {
        Scheduled::Static(h) => {
            (!disabled.is_empty() && disabled.iter().any(|m| m == h.reg.method)).then_some(Outcome::Disabled)
        }
        Scheduled::Attached(h) if !h.enabled => Some(Outcome::Disabled),
        Scheduled::Attached(h) => match context {
            Some(ctx) if !h.tags.is_empty() && !h.tags.iter().any(|t| t == ctx) => Some(Outcome::Filtered),
            _ => None,
        },
    }
}

/// The statistics a hook's time goes to, if stats are on for it.
fn stats_of<'s>(
    hook: &'s Scheduled<'_>,
    statics: &[StaticHook],
    static_stats: &'s [Arc<HookStats>],
) -> Option<&'s Arc<HookStats>> {
    match hook {
        Scheduled::Attached(h) => Some(&h.stats),
        Scheduled::Static(h) if !static_stats.is_empty() => {
            // `h` points into `statics`: its index, from the addresses (no search).
            let offset = (*h as *const StaticHook as usize).checked_sub(statics.as_ptr() as usize)?;
            static_stats.get(offset / std::mem::size_of::<StaticHook>().max(1))
        }
        Scheduled::Static(_) => None,
    }
}

/// Runs the hook of the type `hook` at `position` in run order (as listed by `hooks::<H>()`); a
/// disabled hook is skipped (`Ok`). A `Control` it returns has no run to stop.
pub(crate) async fn run_hook_at(
    this: &mut dyn Component,
    hook: &'static HookId,
    position: usize,
    arg: Arg<'_>,
    timeout_cap: Option<Duration>,
) -> Option<Result<(), HookError>> {
    let (root, hook_type) = (this.root(), hook.id());
    let statics = this.table().of(hook_type);
    // No snapshot to share out when nothing is attached (the common case).
    let (attached, disabled, stats_on) = this
        .store()
        .map(|a| {
            let attached = (!a.is_empty()).then(|| a.snapshot_cached(root, hook_type));
            (attached, a.disabled_static(root, hook_type), a.stats_on())
        })
        .unwrap_or_default();
    let scheduled = match &attached {
        // Nothing attached: the static hook at `position`, without the merge.
        None => Scheduled::Static(statics.get(position)?),
        Some(attached) => schedule(statics, attached, false).nth(position)?,
    };
    if skip(&scheduled, &disabled, None).is_some() {
        return Some(Ok(()));
    }
    // Statistics as a run keeps them (`enable_stats`): messages and ticks count too.
    let stats = if stats_on {
        match &scheduled {
            Scheduled::Static(h) => {
                this.store().and_then(|store| store.static_stats((root, hook_type, h.reg.owner_name, h.reg.method)))
            }
            Scheduled::Attached(h) => Some(h.stats.clone()),
        }
    } else {
        None
    };
    let start = stats.as_ref().map(|_| Instant::now());
    let traced = tracing::level_enabled!(tracing::Level::DEBUG);
    let result = match call_traced(this.any_mut(), &scheduled, hook, arg, traced) {
        Ok(Step::Done(Ok(_))) => Ok(HookValue::Unit),
        Ok(Step::Done(Err(error))) => Err(Failure::Error(error)),
        Ok(Step::Pending(future)) => settle(&scheduled, hook, future, timeout_cap).await,
        Err(payload) => Err(Failure::Panic(panic_message(&*payload))),
    };
    if let (Some(stats), Some(start)) = (stats, start) {
        stats.record(start.elapsed());
    }
    Some(result.map(drop).map_err(|failure| {
        let error = attribute(&scheduled, hook, timeout_cap, failure);
        call_error_handler(&scheduled, &error);
        error
    }))
}

/// An attached hook's `on_error` handler, if it has one, told of `error`; the handler is user code
/// too: its panic is reported, never raised.
fn call_error_handler(hook: &Scheduled<'_>, error: &HookError) {
    if let Scheduled::Attached(h) = hook {
        if let Some(handler) = &h.on_error {
            if let Err(payload) = catch_unwind(AssertUnwindSafe(|| handler(error))) {
                tracing::error!(hook = %error, panic = %panic_message(&*payload), "on_error handler panicked");
            }
        }
    }
}

/// [`call`], in a `hook` span (owner, method, hook type) for a plain `fn` hook when `traced`
/// (`debug` is on: read once per run): an async hook gets its span where it is awaited ([`drive`]).
#[inline]
fn call_traced<'a>(
    this: &'a mut dyn Any,
    scheduled: &Scheduled<'a>,
    hook: &HookId,
    arg: Arg<'a>,
    traced: bool,
) -> std::thread::Result<Step<'a>> {
    let is_async = match scheduled {
        Scheduled::Static(h) => h.reg.is_async,
        Scheduled::Attached(h) => h.is_async,
    };
    if traced && !is_async {
        return call_in_span(this, scheduled, hook, arg);
    }
    call(this, scheduled, arg)
}

#[cold]
fn call_in_span<'a>(
    this: &'a mut dyn Any,
    scheduled: &Scheduled<'a>,
    hook: &HookId,
    arg: Arg<'a>,
) -> std::thread::Result<Step<'a>> {
    let (owner, method) = names(scheduled);
    let span = tracing::debug_span!("hook", owner, method = &*method, hook_type = hook.name);
    let _entered = span.enter();
    let started = Instant::now();
    let step = call(this, scheduled, arg);
    tracing::trace!(took = ?started.elapsed(), "hook returned");
    step
}

/// Calls a hook's shim, catching a panic raised before its first `.await` (or in a plain `fn`).
#[inline]
fn call<'a>(this: &'a mut dyn Any, scheduled: &Scheduled<'a>, arg: Arg<'a>) -> std::thread::Result<Step<'a>> {
    match *scheduled {
        Scheduled::Static(h) => {
            let shim = h.reg.call;
            match h.owner_mut(this) {
                Some(target) => caught(move || shim(target, arg)),
                None => Ok(Step::mismatch(h.reg.owner_name, "receiver")),
            }
        }
        Scheduled::Attached(h) => {
            let f = &*h.call;
            caught(move || f(this, arg))
        }
    }
}

/// `catch_unwind` for a call that borrows for `'a` (an explicit `FnOnce`, so the borrow can escape).
#[inline]
fn caught<'a>(call: impl FnOnce() -> Step<'a>) -> std::thread::Result<Step<'a>> {
    catch_unwind(AssertUnwindSafe(call))
}

/// Why one hook did not succeed, before attribution.
enum Failure {
    Error(BoxError),
    Panic(String),
    TimedOut,
}

/// Polls an async hook's future once (a stage's observer), catching its panics; not done then,
/// it is dropped and fails.
#[cold]
fn at_once(future: HookFuture<'_>) -> Result<HookValue, Failure> {
    match AssertUnwindSafe(future).catch_unwind().now_or_never() {
        Some(Ok(Ok(value))) => Ok(value),
        Some(Ok(Err(error))) => Err(Failure::Error(error)),
        Some(Err(payload)) => Err(Failure::Panic(panic_message(&*payload))),
        None => Err(Failure::Error(
            "an async observer of a stage did not finish at once and was dropped; stage observers are plain fns".into(),
        )),
    }
}

/// Awaits an async hook's future, catching its panics. Without a timeout and with `debug` spans
/// off (the common case in production) it is polled once in place: a hook that completes at once
/// (the common case) costs no more; one that waits is awaited in a box ([`wait`]), named as
/// running meanwhile, so that the state every run's future carries stays small.
#[inline]
async fn settle(
    scheduled: &Scheduled<'_>,
    hook: &HookId,
    mut future: HookFuture<'_>,
    timeout_cap: Option<Duration>,
) -> Result<HookValue, Failure> {
    if timeout_of(scheduled, timeout_cap).is_some() || tracing::level_enabled!(tracing::Level::DEBUG) {
        // Boxed: the timer and span make `drive`'s future large, and inlined it would make every
        // caller's future as large, for the rare path.
        return Box::pin(drive(scheduled, hook, future, timeout_cap)).await;
    }
    let first =
        std::future::poll_fn(|cx| std::task::Poll::Ready(catch_unwind(AssertUnwindSafe(|| future.as_mut().poll(cx)))))
            .await;
    match first {
        Ok(std::task::Poll::Ready(result)) => settled(Ok(result)),
        Ok(std::task::Poll::Pending) => Box::pin(wait(scheduled, hook, future)).await,
        Err(payload) => settled(Err(payload)),
    }
}

/// The rest of an async hook that did not complete at its first poll, named as running.
async fn wait(scheduled: &Scheduled<'_>, hook: &HookId, future: HookFuture<'_>) -> Result<HookValue, Failure> {
    let _named = crate::running::enter(|| running_hook(scheduled, hook));
    settled(AssertUnwindSafe(future).catch_unwind().await)
}

/// A hook future's outcome, caught.
#[inline]
fn settled(caught: std::thread::Result<HookResult>) -> Result<HookValue, Failure> {
    match caught {
        Ok(Ok(value)) => Ok(value),
        Ok(Err(error)) => Err(Failure::Error(error)),
        Err(payload) => Err(Failure::Panic(panic_message(&*payload))),
    }
}

/// `hook` as a component's task names it while it waits.
#[cold]
fn running_hook(scheduled: &Scheduled<'_>, hook: &HookId) -> crate::running::RunningHook {
    let (owner, method) = names(scheduled);
    crate::running::RunningHook { owner, method, hook_type: hook.name }
}

/// Drives an async hook's future: catches its panics, applies its timeout, runs it in its span.
async fn drive(
    scheduled: &Scheduled<'_>,
    hook: &HookId,
    future: HookFuture<'_>,
    timeout_cap: Option<Duration>,
) -> Result<HookValue, Failure> {
    let (owner, method) = names(scheduled);
    let span = tracing::debug_span!("hook", owner, method = &*method, hook_type = hook.name);
    let _named = crate::running::enter(|| running_hook(scheduled, hook));
    let future = AssertUnwindSafe(future).catch_unwind();
    // A timeout needs tokio's timer; outside a tokio runtime the hook runs without one.
    let timeout = timeout_of(scheduled, timeout_cap).filter(|_| tokio::runtime::Handle::try_current().is_ok());
    let caught = match timeout {
        Some(budget) => match tokio::time::timeout(budget, future.instrument(span)).await {
            Ok(caught) => caught,
            Err(_) => return Err(Failure::TimedOut),
        },
        None if span.is_disabled() => future.await,
        None => future.instrument(span).await,
    };
    match caught {
        Ok(Ok(value)) => Ok(value),
        Ok(Err(error)) => Err(Failure::Error(error)),
        Err(payload) => Err(Failure::Panic(panic_message(&*payload))),
    }
}

/// The hook's owner type and method (or attached name).
fn names(hook: &Scheduled<'_>) -> (&'static str, Cow<'static, str>) {
    match hook {
        Scheduled::Static(h) => (h.reg.owner_name, Cow::Borrowed(h.reg.method)),
        Scheduled::Attached(h) => (h.owner, h.name.clone()),
    }
}

/// The smaller of the hook's own timeout and the run's cap.
#[inline]
fn timeout_of(hook: &Scheduled<'_>, cap: Option<Duration>) -> Option<Duration> {
    let own = match hook {
        Scheduled::Static(h) => h.reg.timeout,
        Scheduled::Attached(_) => None,
    };
    match (own, cap) {
        (Some(own), Some(cap)) => Some(own.min(cap)),
        (own, cap) => own.or(cap),
    }
}

#[cold]
fn attribute(scheduled: &Scheduled<'_>, hook: &HookId, cap: Option<Duration>, failure: Failure) -> HookError {
    let (owner, method) = names(scheduled);
    let hook_type = hook.name;
    let error = match failure {
        Failure::Error(source) => HookError::Failed { owner, method, hook_type, source: source.into() },
        Failure::Panic(message) => HookError::Panicked { owner, method, hook_type, message },
        Failure::TimedOut => {
            HookError::TimedOut { owner, method, hook_type, timeout: timeout_of(scheduled, cap).unwrap_or_default() }
        }
    };
    // Not logged here: the error goes back to whoever ran the hooks, who decides (the runtime
    // logs the failures that nobody receives, once).
    error
}
