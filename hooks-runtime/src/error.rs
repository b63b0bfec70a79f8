//! [`LifecycleError`]: why `initialize`, `start` or `stop` did not do what was asked.

use std::any::Any;
use std::sync::{Arc, Mutex};

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
        /// The failures, in execution order.
        errors: Arc<MultiError>,
        /// Failures of the stop hooks run to roll back a failed start.
        rollback: Option<MultiError>,
        /// The component, when a failed stop still hands it back.
        recovered: Recovered,
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
            LifecycleError::Hooks { errors, .. } => errors.errors(),
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
