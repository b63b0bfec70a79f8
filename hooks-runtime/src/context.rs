//! The [`Context`] of a running component: its name and id, stop requests, and tasks that stop cancels.

use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Weak};
use std::task::{Poll, Waker};

use futures_util::task::AtomicWaker;

use hooks_core::{Hooks, LifecycleState};

use crate::bus::{Bus, Delivery, IntoMessage, Rejection, SendError};
use crate::runtime::{Handle, RuntimeInner};
use tokio::sync::{mpsc, watch};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

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
    /// Raised when a stop is requested (by a handle or a hook).
    stop_requested: Arc<StopRequest>,
    state: watch::Receiver<LifecycleState>,
    bus: Arc<Bus>,
    /// The component's own mailbox (`tell`).
    mailbox: mpsc::Sender<Delivery>,
    /// Cancelled when stop begins; tasks spawned through the context end with it.
    stopping: CancellationToken,
    tasks: TaskTracker,
    /// The runtime that runs the component, to find other components (`lookup`).
    runtime: Weak<RuntimeInner>,
}

impl Context {
    pub(crate) fn new(
        name: Arc<str>,
        id: u64,
        stop_requested: Arc<StopRequest>,
        state: watch::Receiver<LifecycleState>,
        bus: Arc<Bus>,
        mailbox: mpsc::Sender<Delivery>,
        runtime: Weak<RuntimeInner>,
    ) -> Self {
        Context {
            inner: Arc::new(Inner {
                name,
                id,
                stop_requested,
                state,
                bus,
                mailbox,
                stopping: CancellationToken::new(),
                tasks: TaskTracker::new(),
                runtime,
            }),
        }
    }

    /// The context of the component whose hook is running, if it is run by a `Runtime`.
    pub fn current() -> Option<Context> {
        Self::with_current(Context::clone)
    }

    /// The name of the component whose hook is running, if any.
    pub(crate) fn current_name() -> Option<Arc<str>> {
        Self::with_current(|c| c.inner.name.clone())
    }

    /// The id of the component whose hook is running, if any.
    pub(crate) fn current_id() -> Option<u64> {
        Self::with_current(|c| c.inner.id)
    }

    /// Whether the code running now is a hook of the component whose stop request is `stop`.
    pub(crate) fn current_is(stop: &Arc<StopRequest>) -> bool {
        Self::with_current(|c| Arc::ptr_eq(&c.inner.stop_requested, stop)).unwrap_or(false)
    }

    /// `f` of the context of the component whose task this is, if any.
    fn with_current<R>(f: impl FnOnce(&Context) -> R) -> Option<R> {
        hooks_core::__private::with_task_state(|state| state.downcast_ref::<Context>().map(f)).flatten()
    }

    /// Runs `future` (a component's task) with this context as its current one, and `running`
    /// as the slot its pending hooks are named in.
    pub(crate) fn scope<F: Future>(
        self,
        running: Arc<hooks_core::__private::Running>,
        future: F,
    ) -> impl Future<Output = F::Output> {
        let scope = hooks_core::__private::TaskScope { running, state: Box::new(self) };
        hooks_core::__private::task_scope(Arc::new(scope), future)
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

    /// Publishes `message` (a contract's value, or a `Message`) on the runtime's bus (see
    /// `Runtime::publish`); returns how many components accepted it. Waits while a mailbox is
    /// full: publishing to the component's own full mailbox from its own hook would wait forever.
    pub async fn publish<M: IntoMessage>(&self, message: M) -> usize {
        crate::bus::publish_everywhere(&self.inner.bus, message.into_message()).await
    }

    /// Sends a command to whichever component handles its type, in this runtime or, over its
    /// transport, another process (see `Runtime::command`). A call to this component itself is
    /// `CallError::Reentrant`.
    pub async fn command<M: IntoMessage>(&self, message: M) -> Result<M::Reply, crate::CallError> {
        let (component, response) = self.inner.bus.call(crate::bus::CallKind::Command, message.into_message()).await?;
        M::reply(response, &component)
    }

    /// [`command`](Self::command) for `on_request` handlers.
    pub async fn request<M: IntoMessage>(&self, message: M) -> Result<M::Reply, crate::CallError> {
        let (component, response) = self.inner.bus.call(crate::bus::CallKind::Request, message.into_message()).await?;
        M::reply(response, &component)
    }

    /// The handle of the component of the same runtime named `name`, if it is a `T` and has not
    /// been handed back (see `Runtime::lookup`): how a hook reaches another component by name,
    /// without holding its handle.
    ///
    /// ```
    /// use hooks_runtime::prelude::*;
    ///
    /// #[derive(Message)]
    /// #[message(reply = u32)]
    /// struct Next;
    ///
    /// #[derive(Hooks, Default)]
    /// struct Ids { #[hooks(base)] service: Service, #[hooks(base)] commands: CommandHandler, next: u32 }
    ///
    /// #[hooks]
    /// impl Ids {
    ///     #[on_command]
    ///     fn next(&mut self, _: &Next) -> u32 { self.next += 1; self.next }
    /// }
    ///
    /// #[derive(Hooks, Default)]
    /// struct Client { #[hooks(base)] service: Service, id: u32 }
    ///
    /// #[hooks]
    /// impl Client {
    ///     #[on_start]
    ///     async fn take_an_id(&mut self, ctx: &Context) -> Result<(), hooks_runtime::CallError> {
    ///         if let Some(ids) = ctx.lookup::<Ids>("ids") {
    ///             self.id = ids.command(Next).await?;
    ///         }
    ///         Ok(())
    ///     }
    /// }
    ///
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let runtime = Runtime::new();
    /// runtime.spawn_named("ids", Ids::default());
    /// let client = runtime.spawn(Client::default());
    /// runtime.start_all().await?;
    /// assert_eq!(client.stop().await?.id, 1);
    /// # runtime.stop_all().await?; Ok(()) }
    /// ```
    ///
    /// A hook that calls another component waits for it: two components that call each other from
    /// their handlers at the same moment wait for each other. Publish instead, or call from a
    /// task started with [`spawn`](Self::spawn).
    pub fn lookup<T: Hooks>(&self, name: &str) -> Option<Handle<T>> {
        crate::runtime::lookup(&*self.inner.runtime.upgrade()?, name)
    }

    /// Delivers `message` to this component's own `on_message` handlers, through its mailbox:
    /// how work done off the component's task hands its result back, to be handled later with
    /// `&mut self` (the actor pattern "pipe to self"). From a task started with
    /// [`spawn`](Self::spawn) it waits while the mailbox is full; from one of the component's
    /// own hooks a full mailbox refuses it at once (`Rejection::Full`: waiting would wait for
    /// itself). Once the component stops, the message is handed back.
    ///
    /// ```
    /// use std::time::Duration;
    /// use hooks_runtime::prelude::*;
    ///
    /// #[derive(Debug)]
    /// enum Kind { Fetched }
    ///
    /// #[derive(Hooks, Default)]
    /// struct Poller {
    ///     #[hooks(base)] service: Service,
    ///     #[hooks(base)] bus: MessageBusClient,
    ///     latest: Option<String>,
    /// }
    ///
    /// #[hooks]
    /// impl Poller {
    ///     // The tick only starts the slow work; the component stays free for other messages.
    ///     #[background_task(interval = "30s")]
    ///     fn refresh(&mut self, ctx: &Context) {
    ///         let me = ctx.clone();
    ///         ctx.spawn(async move {
    ///             tokio::time::sleep(Duration::from_millis(10)).await; // slow I/O
    ///             let _ = me.tell(Message::new(Kind::Fetched, "v2".to_owned())).await;
    ///         });
    ///     }
    ///
    ///     #[on_message(Kind::Fetched)]
    ///     fn fetched(&mut self, body: &String) {
    ///         self.latest = Some(body.clone());
    ///     }
    /// }
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// # let runtime = Runtime::new();
    /// # let h = runtime.spawn(Poller::default());
    /// # h.start().await.unwrap();
    /// # tokio::time::sleep(Duration::from_millis(50)).await;
    /// # assert_eq!(h.stop().await.unwrap().latest.as_deref(), Some("v2"));
    /// # }
    /// ```
    pub async fn tell<M: IntoMessage>(&self, message: M) -> Result<(), SendError> {
        let message = message.into_message();
        let observed = self.inner.bus.observed_send(&message);
        self.inner.bus.sending(&observed, &self.inner.name);
        let refused = |delivery: Delivery, reason| {
            self.inner.bus.refused(&observed, &self.inner.name);
            SendError { component: self.inner.name.clone(), message: delivery.into_message(), reason }
        };
        match self.inner.mailbox.try_send(Delivery::Message(message)) {
            Ok(()) => Ok(()),
            Err(mpsc::error::TrySendError::Closed(d)) => Err(refused(d, Rejection::Stopped)),
            Err(mpsc::error::TrySendError::Full(d)) if Self::current_is(&self.inner.stop_requested) => {
                Err(refused(d, Rejection::Full))
            }
            Err(mpsc::error::TrySendError::Full(d)) => {
                self.inner.mailbox.send(d).await.map_err(|e| refused(e.0, Rejection::Stopped))
            }
        }
    }

    /// Puts `message` (a contract's value, or a `Message`) on the runtime's work queue of its type
    /// (see `Runtime::push`).
    pub async fn push<M: IntoMessage>(&self, message: M) -> Result<(), SendError> {
        self.inner.bus.push(message.into_message()).await
    }

    /// Asks the component to stop as soon as the hook now running returns. The component is then
    /// `Stopped` and a later `Handle::stop()` hands it back.
    pub fn request_stop(&self) {
        self.inner.stop_requested.raise();
    }

    /// Whether a stop was requested.
    pub fn is_stop_requested(&self) -> bool {
        self.inner.stop_requested.is_raised()
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

    /// Cancels the spawned tasks without waiting for them (the component's own task is being
    /// cancelled).
    pub(crate) fn cancel_now(&self) {
        self.inner.stopping.cancel();
        self.inner.tasks.close();
    }

    /// Cancels the spawned tasks and waits for them.
    pub(crate) async fn cancel_tasks(&self) {
        self.inner.stopping.cancel();
        self.inner.tasks.close();
        self.inner.tasks.wait().await;
    }
}

/// A component's stop request, raised by `Handle::stop` (once its op is queued) and by
/// `Context::request_stop`. Only the component's own task waits for it (its loop, or a background
/// task run it interrupts), so one waker slot is enough: waiting is an atomic load and a waker
/// registration, which is a no-op when the task's waker is the one registered already (its loop
/// checks it every time it wakes up, so this is kept cheaper than a `CancellationToken`'s waiter).
#[derive(Default)]
pub(crate) struct StopRequest {
    raised: AtomicBool,
    waker: AtomicWaker,
}

impl StopRequest {
    /// Raises the request (for good) and wakes the waiting task.
    pub(crate) fn raise(&self) {
        self.raised.store(true, Ordering::Release);
        self.waker.wake();
    }

    /// Whether it was raised.
    pub(crate) fn is_raised(&self) -> bool {
        self.raised.load(Ordering::Acquire)
    }

    /// Completes once it is raised (at once if it was). Cancel-safe.
    pub(crate) fn raised(&self) -> impl Future<Output = ()> + '_ {
        std::future::poll_fn(move |cx| {
            if self.is_raised() {
                return Poll::Ready(());
            }
            self.waker.register(cx.waker());
            // Raised between the check and the registration: its wake-up may have found no waker.
            if self.is_raised() {
                Poll::Ready(())
            } else {
                Poll::Pending
            }
        })
    }

    /// [`raised`](Self::raised) for a loop that waits on it again and again: `armed` keeps the
    /// waker registered last, which stays registered until the request is raised (only `raise`
    /// takes it), so a wait by the same task is one atomic load. Cancel-safe.
    pub(crate) fn raised_armed<'a>(&'a self, armed: &'a mut Option<Waker>) -> impl Future<Output = ()> + 'a {
        std::future::poll_fn(move |cx| self.poll_raised_armed(armed, cx))
    }

    /// The poll of [`raised_armed`](Self::raised_armed).
    pub(crate) fn poll_raised_armed(&self, armed: &mut Option<Waker>, cx: &mut std::task::Context<'_>) -> Poll<()> {
        if self.is_raised() {
            return Poll::Ready(());
        }
        if !armed.as_ref().is_some_and(|waker| waker.will_wake(cx.waker())) {
            self.waker.register(cx.waker());
            *armed = Some(cx.waker().clone());
            if self.is_raised() {
                return Poll::Ready(());
            }
        }
        Poll::Pending
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

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::time::Duration;

    use super::StopRequest;

    #[tokio::test]
    async fn a_stop_request_wakes_its_waiter_once_raised_and_stays_raised() {
        let stop = Arc::new(StopRequest::default());
        assert!(!stop.is_raised());
        let pending = tokio::time::timeout(Duration::from_millis(10), stop.raised()).await;
        assert!(pending.is_err(), "not raised yet");
        let raiser = stop.clone();
        let waiter = tokio::spawn(async move {
            let stop = raiser.clone();
            tokio::join!(stop.raised(), async move {
                tokio::task::yield_now().await;
                raiser.raise();
            });
        });
        tokio::time::timeout(Duration::from_secs(5), waiter).await.expect("woken").unwrap();
        assert!(stop.is_raised());
        stop.raised().await;
        stop.raise();
        assert!(stop.is_raised());
    }

    #[test]
    fn a_stop_request_raised_from_another_thread_wakes_the_waiter() {
        let rt = tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap();
        let stop = Arc::new(StopRequest::default());
        let raiser = stop.clone();
        let thread = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(20));
            raiser.raise();
        });
        rt.block_on(async {
            tokio::time::timeout(Duration::from_secs(5), stop.raised()).await.expect("woken");
        });
        thread.join().unwrap();
    }
}
