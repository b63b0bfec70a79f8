//! The [`Context`] of a running component: its name and id, stop requests, and tasks that stop cancels.

use std::future::Future;
use std::sync::Arc;

use hooks_core::LifecycleState;

use crate::bus::{Bus, Message, SendError};
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

tokio::task_local! {
    static CURRENT: Context;
}

/// What a hook of a component run by a [`Runtime`](crate::Runtime) can reach: `Context::current()`.
///
/// ```
/// use hooks_runtime::prelude::*;
///
/// #[derive(Hooks, Default)]
/// struct Once {
///     #[hooks(base)]
///     service: Service,
/// }
///
/// #[hooks]
/// impl Once {
///     #[on_start]
///     fn start(&mut self) {
///         let ctx = Context::current().expect("run by a Runtime");
///         ctx.spawn(async { /* long work: cancelled when stop begins */ });
///         ctx.request_stop(); // the component stops itself once started
///     }
/// }
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// let runtime = Runtime::new();
/// let handle = runtime.spawn(Once::default());
/// handle.start().await.unwrap();
/// handle.wait_stopped().await;
/// assert_eq!(handle.state(), LifecycleState::Stopped);
/// # }
/// ```
#[derive(Clone)]
pub struct Context {
    inner: Arc<Inner>,
}

struct Inner {
    name: Arc<str>,
    id: u64,
    /// Cancelled when a stop is requested (by a handle or a hook).
    stop_requested: CancellationToken,
    state: watch::Receiver<LifecycleState>,
    bus: Arc<Bus>,
    /// Cancelled when stop begins; tasks spawned through the context end with it.
    stopping: CancellationToken,
    tasks: TaskTracker,
}

impl Context {
    pub(crate) fn new(
        name: Arc<str>,
        id: u64,
        stop_requested: CancellationToken,
        state: watch::Receiver<LifecycleState>,
        bus: Arc<Bus>,
    ) -> Self {
        Context {
            inner: Arc::new(Inner {
                name,
                id,
                stop_requested,
                state,
                bus,
                stopping: CancellationToken::new(),
                tasks: TaskTracker::new(),
            }),
        }
    }

    /// The context of the component whose hook is running, if it is run by a `Runtime`.
    pub fn current() -> Option<Context> {
        CURRENT.try_with(Context::clone).ok()
    }

    pub(crate) fn scope<F: Future>(self, future: F) -> impl Future<Output = F::Output> {
        CURRENT.scope(self, future)
    }

    /// The component's name (its type's, unless spawned with another).
    pub fn name(&self) -> &str {
        &self.inner.name
    }

    /// The component's id, unique in its runtime.
    pub fn id(&self) -> u64 {
        self.inner.id
    }

    /// The component's lifecycle state (`Starting` inside an `on_start` hook, and so on).
    pub fn state(&self) -> LifecycleState {
        *self.inner.state.borrow()
    }

    /// Publishes `message` on the runtime's bus (see `Runtime::publish`); returns how many
    /// components accepted it. Waits while a mailbox is full: publishing to the component's own
    /// full mailbox from its own hook would wait forever.
    pub async fn publish(&self, message: Message) -> usize {
        self.inner.bus.publish(message).await
    }

    /// Puts `message` on the runtime's work queue of its type (see `Runtime::push`).
    pub async fn push(&self, message: Message) -> Result<(), SendError> {
        self.inner.bus.push(message).await
    }

    /// Asks the component to stop as soon as the hook now running returns. The component is then
    /// `Stopped` and a later `Handle::stop()` hands it back.
    pub fn request_stop(&self) {
        self.inner.stop_requested.cancel();
    }

    /// Whether a stop was requested.
    pub fn is_stop_requested(&self) -> bool {
        self.inner.stop_requested.is_cancelled()
    }

    /// Spawns `future` on the ambient tokio runtime; it is cancelled when the component's stop
    /// begins, and stop waits for it to end before running the `on_stop` hooks.
    pub fn spawn<F>(&self, future: F) -> tokio::task::JoinHandle<Option<F::Output>>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        let stopping = self.inner.stopping.clone();
        self.inner.tasks.spawn(async move { stopping.run_until_cancelled(future).await })
    }

    /// Cancels the spawned tasks and waits for them.
    pub(crate) async fn cancel_tasks(&self) {
        self.inner.stopping.cancel();
        self.inner.tasks.close();
        self.inner.tasks.wait().await;
    }
}

/// The error of a hook that takes a `Context` but was run by hand, not by a `Runtime`.
#[doc(hidden)]
pub fn no_context(owner: &str, method: &str) -> hooks_core::HookResult {
    Err(format!(
        "`{owner}::{method}` takes a `Context`, which only hooks run by a `Runtime` have; \
         start the component with `Runtime::spawn` or remove the argument"
    )
    .into())
}

impl std::fmt::Debug for Context {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Context").field("name", &self.inner.name).field("id", &self.inner.id).finish_non_exhaustive()
    }
}
