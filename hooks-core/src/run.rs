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

/// Runs every hook of type `H` on `this` with `arg`, in order (or exactly reversed), applying `H`'s
/// error policy. Static and attached hooks are one ordered list.
pub(crate) async fn run_hooks<R: Hooks, H: HookType>(
    this: &mut R,
    arg: &H::Arg,
    reversed: bool,
) -> Result<(), MultiError> {
    let statics = R::__hooks_table().of(TypeId::of::<H>());
    let attached =
        this.__hooks_attached().map(|a| a.snapshot(TypeId::of::<R>(), TypeId::of::<H>())).unwrap_or_default();
    let mut errors = MultiError::default();
    for hook in run_order(statics, &attached, reversed) {
        let (owner, method, timeout, step) = match hook {
            Scheduled::Static(h) => {
                let call = h.reg.call;
                let target = h.owner_mut(this);
                let step = caught(move || call(target, arg as &dyn Any));
                (h.reg.owner_name, Cow::Borrowed(h.reg.method), h.reg.timeout, step)
            }
            Scheduled::Attached(h) => {
                let step = match h.call.downcast_ref::<AttachedFn<R>>() {
                    Some(call) => {
                        let this = &mut *this;
                        caught(move || call(this, arg as &dyn Any))
                    }
                    None => Ok(Step::mismatch(h.owner, "receiver")),
                };
                (h.owner, h.name.clone(), None, step)
            }
        };
        let outcome = finish::<H>(owner, &method, timeout, step).await;
        if let Err(source) = outcome {
            errors.push(attribute::<H>(owner, method, timeout, source));
            if H::POLICY == ErrorPolicy::FailFast {
                break;
            }
        }
    }
    errors.into_result()
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
