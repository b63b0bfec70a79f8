//! The lifecycle states a component goes through and why it stops.

use std::fmt;
use std::sync::Arc;

/// Where a component is in its lifecycle.
///
/// `Created → Initializing → Initialized → Starting → Running → Stopping → Stopped`, plus `Failed`
/// (a startup hook failed). Every transition runs the component's `on_state_change` hooks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum LifecycleState {
    /// Constructed, nothing run yet.
    #[default]
    Created,
    /// `on_init` hooks are running.
    Initializing,
    /// `on_init` hooks have all succeeded.
    Initialized,
    /// `on_start` hooks are running.
    Starting,
    /// Started: background tasks run, messages are delivered.
    Running,
    /// `on_stop` hooks are running.
    Stopping,
    /// Stopped; the component can be taken back.
    Stopped,
    /// A startup hook failed; the component can still be stopped.
    Failed,
}

impl fmt::Display for LifecycleState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self, f)
    }
}

/// Why a component is stopping; `on_stop` hooks may take `reason: &StopReason`.
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub enum StopReason {
    /// `stop()` was called.
    #[default]
    Requested,
    /// A startup hook failed; carries the cause.
    Failed(Arc<dyn std::error::Error + Send + Sync + 'static>),
    /// The stop budget ran out.
    TimedOut,
    /// The parent component or the runtime is stopping.
    Parent,
}
