//! Running the hooks of one type on one instance: order, error policy, panics, timeouts, tracing.
//!
//! The hot path is a plain loop: call the shim (under `catch_unwind`), and when a plain `fn` hook
//! succeeded, go on. Only an `async fn` hook's future and a failure take the slower paths.

use std::any::{Any, TypeId};
use std::borrow::Cow;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::time::Duration;

use futures_util::FutureExt;
use tracing::Instrument;

use crate::attach::AttachedFn;
use crate::component::Hooks;
use crate::error::{panic_message, BoxError, HookError, MultiError};
use crate::hook::{ErrorPolicy, HookType};
use crate::order::{run_order, Scheduled};
use crate::shim::{HookFuture, Step};

/// How a run goes beyond its hook type's defaults.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RunOptions {
    /// Run in the exact reverse order.
    pub reversed: bool,
    /// A cap on every async hook's time (a stop budget): the smaller of this and the hook's own
    /// `timeout` applies.
    pub timeout_cap: Option<Duration>,
}

/// Runs every hook of type `H` on `this` with `arg`, in order (or exactly reversed), applying `H`'s
/// error policy. Static and attached hooks are one ordered list.
pub(crate) async fn run_hooks<R: Hooks, H: HookType>(
    this: &mut R,
    arg: &H::Arg,
    options: RunOptions,
) -> Result<(), MultiError> {
    let statics = R::__hooks_table().of(TypeId::of::<H>());
    let attached =
        this.__hooks_attached().map(|a| a.snapshot(TypeId::of::<R>(), TypeId::of::<H>())).unwrap_or_default();
    let mut errors = MultiError::default();
    for hook in run_order(statics, &attached, options.reversed) {
        let failure = match call(this, &hook, arg) {
            Ok(Step::Done(Ok(()))) => continue,
            Ok(Step::Done(Err(error))) => Failure::Error(error),
            Ok(Step::Pending(future)) => match settle::<H, R>(&hook, future, options.timeout_cap).await {
                Ok(()) => continue,
                Err(failure) => failure,
            },
            Err(payload) => Failure::Panic(panic_message(&*payload)),
        };
        errors.push(attribute::<H, R>(&hook, options.timeout_cap, failure));
        if H::POLICY == ErrorPolicy::FailFast {
            break;
        }
    }
    errors.into_result()
}

/// Runs the hook of type `H` at `position` in run order (as listed by `hooks::<H>()`).
pub(crate) async fn run_hook_at<R: Hooks, H: HookType>(
    this: &mut R,
    position: usize,
    arg: &H::Arg,
) -> Option<Result<(), HookError>> {
    let statics = R::__hooks_table().of(TypeId::of::<H>());
    let attached =
        this.__hooks_attached().map(|a| a.snapshot(TypeId::of::<R>(), TypeId::of::<H>())).unwrap_or_default();
    let hook = run_order(statics, &attached, false).nth(position)?;
    let failure = match call(this, &hook, arg) {
        Ok(Step::Done(Ok(()))) => return Some(Ok(())),
        Ok(Step::Done(Err(error))) => Failure::Error(error),
        Ok(Step::Pending(future)) => match settle::<H, R>(&hook, future, None).await {
            Ok(()) => return Some(Ok(())),
            Err(failure) => failure,
        },
        Err(payload) => Failure::Panic(panic_message(&*payload)),
    };
    Some(Err(attribute::<H, R>(&hook, None, failure)))
}

/// Calls a hook's shim, catching a panic raised before its first `.await` (or in a plain `fn`).
#[inline]
fn call<'a, R: Hooks>(this: &'a mut R, hook: &Scheduled<'a, R>, arg: &'a dyn Any) -> std::thread::Result<Step<'a>> {
    match *hook {
        Scheduled::Static(h) => {
            let shim = h.reg.call;
            let target = h.owner_mut(this);
            caught(move || shim(target, arg))
        }
        Scheduled::Attached(h) => match h.call.downcast_ref::<AttachedFn<R>>() {
            Some(f) => caught(move || f(this, arg)),
            None => Ok(Step::mismatch(h.owner, "receiver")),
        },
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

/// Awaits an async hook's future, catching its panics. Without a timeout and with `debug` spans
/// off (the common case in production) it is awaited as is; otherwise [`drive`] adds both.
#[inline]
async fn settle<H: HookType, R>(
    hook: &Scheduled<'_, R>,
    future: HookFuture<'_>,
    timeout_cap: Option<Duration>,
) -> Result<(), Failure> {
    if timeout_of(hook, timeout_cap).is_some() || tracing::level_enabled!(tracing::Level::DEBUG) {
        return drive::<H, R>(hook, future, timeout_cap).await;
    }
    match AssertUnwindSafe(future).catch_unwind().await {
        Ok(Ok(())) => Ok(()),
        Ok(Err(error)) => Err(Failure::Error(error)),
        Err(payload) => Err(Failure::Panic(panic_message(&*payload))),
    }
}

/// Drives an async hook's future: catches its panics, applies its timeout, runs it in its span.
async fn drive<H: HookType, R>(
    hook: &Scheduled<'_, R>,
    future: HookFuture<'_>,
    timeout_cap: Option<Duration>,
) -> Result<(), Failure> {
    let (owner, method) = names(hook);
    let span = tracing::debug_span!("hook", owner, method = &*method, hook_type = H::NAME);
    let future = AssertUnwindSafe(future).catch_unwind();
    // A timeout needs tokio's timer; outside a tokio runtime the hook runs without one.
    let timeout = timeout_of(hook, timeout_cap).filter(|_| tokio::runtime::Handle::try_current().is_ok());
    let caught = match timeout {
        Some(budget) => match tokio::time::timeout(budget, future.instrument(span)).await {
            Ok(caught) => caught,
            Err(_) => return Err(Failure::TimedOut),
        },
        None if span.is_disabled() => future.await,
        None => future.instrument(span).await,
    };
    match caught {
        Ok(Ok(())) => Ok(()),
        Ok(Err(error)) => Err(Failure::Error(error)),
        Err(payload) => Err(Failure::Panic(panic_message(&*payload))),
    }
}

/// The hook's owner type and method (or attached name).
fn names<R>(hook: &Scheduled<'_, R>) -> (&'static str, Cow<'static, str>) {
    match hook {
        Scheduled::Static(h) => (h.reg.owner_name, Cow::Borrowed(h.reg.method)),
        Scheduled::Attached(h) => (h.owner, h.name.clone()),
    }
}

/// The smaller of the hook's own timeout and the run's cap.
fn timeout_of<R>(hook: &Scheduled<'_, R>, cap: Option<Duration>) -> Option<Duration> {
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
fn attribute<H: HookType, R>(hook: &Scheduled<'_, R>, cap: Option<Duration>, failure: Failure) -> HookError {
    let (owner, method) = names(hook);
    let hook_type = H::NAME;
    let error = match failure {
        Failure::Error(source) => HookError::Failed { owner, method, hook_type, source },
        Failure::Panic(message) => HookError::Panicked { owner, method, hook_type, message },
        Failure::TimedOut => {
            HookError::TimedOut { owner, method, hook_type, timeout: timeout_of(hook, cap).unwrap_or_default() }
        }
    };
    tracing::warn!(error = %error, "hook failed");
    error
}
