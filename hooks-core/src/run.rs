//! Running the hooks of one type on one instance: order, error policy, panics, timeouts, tracing.

use std::any::{Any, TypeId};
use std::borrow::Cow;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::time::Duration;

use futures_util::FutureExt;
use tracing::Instrument;

use crate::attach::AttachedFn;
use crate::component::Hooks;
use crate::error::{panic_message, HookError, MultiError};
use crate::hook::{ErrorPolicy, HookType};
use crate::order::{run_order, Scheduled};
use crate::shim::{HookResult, Step};

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
        if let Err(error) = run_one::<R, H>(this, hook, arg, options.timeout_cap).await {
            errors.push(error);
            if H::POLICY == ErrorPolicy::FailFast {
                break;
            }
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
    Some(run_one::<R, H>(this, hook, arg, None).await)
}

/// Calls one hook and drives it to its attributed result.
async fn run_one<R: Hooks, H: HookType>(
    this: &mut R,
    hook: Scheduled<'_, R>,
    arg: &H::Arg,
    timeout_cap: Option<Duration>,
) -> Result<(), HookError> {
    let (owner, method, timeout, step) = match hook {
        Scheduled::Static(h) => {
            let call = h.reg.call;
            let target = h.owner_mut(this);
            let step = caught(move || call(target, arg as &dyn Any));
            (h.reg.owner_name, Cow::Borrowed(h.reg.method), h.reg.timeout, step)
        }
        Scheduled::Attached(h) => {
            let step = match h.call.downcast_ref::<AttachedFn<R>>() {
                Some(call) => caught(move || call(this, arg as &dyn Any)),
                None => Ok(Step::mismatch(h.owner, "receiver")),
            };
            (h.owner, h.name.clone(), None, step)
        }
    };
    let timeout = match (timeout, timeout_cap) {
        (Some(own), Some(cap)) => Some(own.min(cap)),
        (own, cap) => own.or(cap),
    };
    match finish::<H>(owner, &method, timeout, step).await {
        Ok(()) => Ok(()),
        Err(failure) => Err(attribute::<H>(owner, method, timeout, failure)),
    }
}

/// Calls a hook's shim, catching a panic raised before its first `.await` (or in a plain `fn`).
fn caught<'a>(call: impl FnOnce() -> Step<'a>) -> std::thread::Result<Step<'a>> {
    catch_unwind(AssertUnwindSafe(call))
}

/// Why one hook did not succeed, before attribution.
enum Failure {
    Error(crate::error::BoxError),
    Panic(String),
    TimedOut,
}

/// Drives a hook's step to its result: catches panics, applies the timeout, opens the span.
async fn finish<H: HookType>(
    owner: &'static str,
    method: &str,
    timeout: Option<Duration>,
    step: std::thread::Result<Step<'_>>,
) -> Result<(), Failure> {
    let result: Result<HookResult, Failure> = match step {
        Err(payload) => Err(Failure::Panic(panic_message(&*payload))),
        Ok(Step::Done(result)) => {
            tracing::trace!(owner, method, hook_type = H::NAME, "hook ran");
            Ok(result)
        }
        Ok(Step::Pending(future)) => {
            let span = tracing::debug_span!("hook", owner, method, hook_type = H::NAME);
            let future = AssertUnwindSafe(future).catch_unwind().instrument(span);
            // A timeout needs tokio's timer; outside a tokio runtime the hook runs without one.
            let timeout = timeout.filter(|_| tokio::runtime::Handle::try_current().is_ok());
            let caught = match timeout {
                Some(budget) => match tokio::time::timeout(budget, future).await {
                    Ok(caught) => caught,
                    Err(_) => return Err(Failure::TimedOut),
                },
                None => future.await,
            };
            caught.map_err(|payload| Failure::Panic(panic_message(&*payload)))
        }
    };
    match result {
        Ok(Ok(())) => Ok(()),
        Ok(Err(e)) => Err(Failure::Error(e)),
        Err(f) => Err(f),
    }
}

fn attribute<H: HookType>(
    owner: &'static str,
    method: Cow<'static, str>,
    timeout: Option<Duration>,
    failure: Failure,
) -> HookError {
    let hook_type = H::NAME;
    let error = match failure {
        Failure::Error(source) => HookError::Failed { owner, method, hook_type, source },
        Failure::Panic(message) => HookError::Panicked { owner, method, hook_type, message },
        Failure::TimedOut => HookError::TimedOut { owner, method, hook_type, timeout: timeout.unwrap_or_default() },
    };
    tracing::warn!(error = %error, "hook failed");
    error
}
