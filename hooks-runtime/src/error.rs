//! [`LifecycleError`]: why `initialize`, `start` or `stop` did not do what was asked.

use std::any::Any;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use hooks_core::{HookError, LifecycleState, MultiError};

/// Why a lifecycle call failed. `errors()` lists the hook failures when there were any.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LifecycleError {
    /// The call is not allowed in the component's current state (start after stop, init twice).
    #[error("cannot {op} `{component}` while it is {state:?}")]
    InvalidState {
        /// The component's name.
        component: Arc<str>,
        /// `"initialize"`, `"start"` or `"stop"`.
        op: &'static str,
        /// Its state when the call arrived.
        state: LifecycleState,
    },
    /// Hooks failed: a startup hook (the component is now `Failed`) or stop hooks (it is `Stopped`).
    #[error("`{component}` failed to {op}: {errors}")]
    Hooks {
        /// The component's name.
        component: Arc<str>,
        /// `"initialize"`, `"start"` or `"stop"`.
        op: &'static str,
        /// The failures, in execution order (the error's `source()`: walking the chain reaches
        /// the first hook's own error).
        #[source]
        errors: Arc<MultiError>,
        /// Failures of the stop hooks run to roll back a failed start.
        rollback: Option<MultiError>,
        /// The component, when a failed stop still hands it back.
        recovered: Recovered,
    },
    /// A stop with a budget (`stop_with_timeout`) ran out of it: the component's task was
    /// cancelled (the component is dropped, not handed back). `errors()` holds one
    /// `HookError::TimedOut` naming the hook that was still running, or what the component was
    /// doing when no async hook was waiting (a plain `fn` hook that does not return).
    #[error("`{component}` did not {op} within {budget:?} and was cancelled: {errors}")]
    TimedOut {
        /// The component's name.
        component: Arc<str>,
        /// `"stop"`.
        op: &'static str,
        /// The budget.
        budget: Duration,
        /// What was still running.
        errors: Arc<MultiError>,
    },
    /// The call was made from one of the component's own hooks, and would wait for that hook to
    /// return: a deadlock. From a hook, stop with `Context::request_stop()`, and use `&mut self`
    /// instead of `with`.
    #[error("cannot {op} `{component}` from one of its own hooks: it would wait for itself{}", hint(op))]
    Reentrant {
        /// The component's name.
        component: Arc<str>,
        /// The call.
        op: &'static str,
    },
    /// The closure given to `Handle::with` panicked; the component goes on.
    #[error("the closure given to `{op}` on `{component}` panicked: {message}")]
    Panicked {
        /// The component's name.
        component: Arc<str>,
        /// The call.
        op: &'static str,
        /// The panic's message.
        message: String,
    },
    /// The component has already been handed back by `stop()`; its handle can do nothing more.
    #[error("`{component}` has stopped and was handed back; cannot {op} it")]
    Gone {
        /// The component's name.
        component: Arc<str>,
        /// The call.
        op: &'static str,
    },
}

impl LifecycleError {
    /// The hook failures behind this error, in execution order (empty when none).
    pub fn errors(&self) -> &[HookError] {
        match self {
            LifecycleError::Hooks { errors, .. } | LifecycleError::TimedOut { errors, .. } => errors.errors(),
            _ => &[],
        }
    }

    /// After a `stop()` whose hooks failed: the component, handed back once.
    pub fn take_component<T: 'static>(&self) -> Option<T> {
        match self {
            LifecycleError::Hooks { recovered, .. } => recovered.take(),
            _ => None,
        }
    }
}

fn hint(op: &str) -> &'static str {
    match op {
        "stop" => "; use `Context::request_stop()` to stop from a hook",
        "inspect" => "; a hook has `&mut self` already",
        _ => "",
    }
}

/// A component carried by an error (`LifecycleError::take_component`).
#[derive(Default)]
pub struct Recovered(Mutex<Option<Box<dyn Any + Send>>>);

impl Recovered {
    pub(crate) fn new<T: Send + 'static>(component: T) -> Self {
        Recovered(Mutex::new(Some(Box::new(component))))
    }

    fn take<T: 'static>(&self) -> Option<T> {
        let mut slot = self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        match slot.take()?.downcast::<T>() {
            Ok(t) => Some(*t),
            Err(other) => {
                *slot = Some(other);
                None
            }
        }
    }
}

impl std::fmt::Debug for Recovered {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let held = self.0.lock().map(|s| s.is_some()).unwrap_or(false);
        f.write_str(if held { "Recovered(component)" } else { "Recovered(none)" })
    }
}
