//! Which hook a task is waiting on: what a runtime names when a stop runs out of budget.
//!
//! A runtime runs each component's hooks in one task, inside [`watch_running`]; while an async
//! hook of that task is pending, its [`Running`] slot names the hook. Recording costs nothing for a
//! hook that completes on its first poll (the common case for handlers): the slot is written only
//! when the hook has to wait, which is also the only way an async hook can hang. A plain `fn` hook
//! that never returns leaves the slot empty; the runtime then names what it was doing instead.

use std::borrow::Cow;
use std::future::Future;
use std::sync::{Arc, Mutex, PoisonError};

/// The hook a component's task is waiting on, if any (see the module docs).
#[doc(hidden)]
#[derive(Debug, Default)]
pub struct Running {
    hook: Mutex<Option<RunningHook>>,
}

/// A hook, by owner type, method (or attached name) and hook type.
#[doc(hidden)]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunningHook {
    /// The owner type's name.
    pub owner: &'static str,
    /// The method, or the attached hook's name.
    pub method: Cow<'static, str>,
    /// The hook type's name.
    pub hook_type: &'static str,
}

impl Running {
    /// The hook the task waits on now.
    pub fn get(&self) -> Option<RunningHook> {
        self.hook.lock().unwrap_or_else(PoisonError::into_inner).clone()
    }

    fn set(&self, hook: Option<RunningHook>) -> Option<RunningHook> {
        std::mem::replace(&mut *self.hook.lock().unwrap_or_else(PoisonError::into_inner), hook)
    }
}

/// What a runtime keeps for the task that runs one component: the slot its pending hooks are
/// named in, and the runtime's own state for its hooks (a `Context`). One task-local for both, so
/// each poll of a component's task sets one, not two.
#[doc(hidden)]
pub struct TaskScope {
    /// The hook the task waits on.
    pub running: Arc<Running>,
    /// The runtime's state of the task.
    pub state: Box<dyn std::any::Any + Send + Sync>,
}

tokio::task_local! {
    static SCOPE: Arc<TaskScope>;
}

/// Runs `future` (a component's task) in `scope`.
#[doc(hidden)]
pub fn task_scope<F: Future>(scope: Arc<TaskScope>, future: F) -> impl Future<Output = F::Output> {
    SCOPE.scope(scope, future)
}

/// `f` of the current task's runtime state, if the task runs in a [`task_scope`].
#[doc(hidden)]
pub fn with_task_state<R>(f: impl FnOnce(&(dyn std::any::Any + Send + Sync)) -> R) -> Option<R> {
    SCOPE.try_with(|scope| f(&*scope.state)).ok()
}

/// Names `hook` in the current task's slot until the guard is dropped (nothing outside
/// [`task_scope`]). Restores what was named before, so a hook that runs hooks stays named after.
pub(crate) fn enter(hook: impl FnOnce() -> RunningHook) -> Option<Entered> {
    SCOPE
        .try_with(|scope| {
            let before = scope.running.set(Some(hook()));
            Entered { running: scope.running.clone(), before }
        })
        .ok()
}

/// See [`enter`].
pub(crate) struct Entered {
    running: Arc<Running>,
    before: Option<RunningHook>,
}

impl Drop for Entered {
    fn drop(&mut self) {
        self.running.set(self.before.take());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hook(method: &'static str) -> RunningHook {
        RunningHook { owner: "Worker", method: method.into(), hook_type: "OnStop" }
    }

    #[tokio::test]
    async fn a_pending_hook_is_named_while_entered_and_the_outer_one_after() {
        let running = Arc::new(Running::default());
        let seen = running.clone();
        task_scope(Arc::new(TaskScope { running, state: Box::new(()) }), async move {
            assert_eq!(seen.get(), None);
            let outer = enter(|| hook("outer"));
            {
                let _inner = enter(|| hook("inner"));
                assert_eq!(seen.get(), Some(hook("inner")));
            }
            assert_eq!(seen.get(), Some(hook("outer")));
            drop(outer);
            assert_eq!(seen.get(), None);
        })
        .await;
        assert!(enter(|| hook("nowhere")).is_none(), "outside a watched task nothing is named");
    }
}
