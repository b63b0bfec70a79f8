//! [`Runtime`] and [`Handle`]: each component runs in its own tokio task that owns it, runs its hooks
//! one at a time with `&mut self`, and drives its lifecycle, background tasks and stop.

use std::collections::BTreeMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError, Weak};
use std::task::Poll;
use std::time::Duration;

use hooks_core::{
    BackgroundTask, Hooks, HooksMixin, LifecycleState, MultiError, OnInit, OnStart, OnStateChange, OnStop, RunOptions,
    StateChange, StopReason,
};
use tokio::sync::{mpsc, oneshot, watch};

use crate::bus::{
    Bus, Call, CallError, CallKind, DeadLetter, Delivery, Message, MessageEvent, OnCommand, OnMessage, OnPullMessage,
    OnRequest, Response, Routes, SendError, WorkQueue, MAILBOX as MESSAGE_MAILBOX,
};
use crate::context::{Context, StopRequest};
use crate::error::{LifecycleError, Recovered};
use crate::lifecycle;
use crate::task::Task;

/// How many calls a component's mailbox holds before senders wait.
const MAILBOX: usize = 64;

type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// The components a runtime holds until they are handed back by `stop()`.
#[derive(Default)]
struct Registry {
    /// By id; ids grow with each spawn, so this is spawn order.
    entries: BTreeMap<u64, Entry>,
    /// The next start number.
    starts: u64,
}

struct Entry {
    handle: Arc<dyn Managed>,
    /// When it reached `Running`, as a start number.
    started: Option<u64>,
}

impl Registry {
    /// Started components in reverse start order, then the others in reverse spawn order.
    fn stop_order(&self) -> Vec<Arc<dyn Managed>> {
        let mut entries: Vec<(&u64, &Entry)> = self.entries.iter().collect();
        entries.sort_by_key(|(id, e)| std::cmp::Reverse((e.started.is_some(), e.started, **id)));
        entries.into_iter().map(|(_, e)| e.handle.clone()).collect()
    }
}

/// Runs components on the ambient tokio runtime.
///
/// ```
/// use hooks_runtime::prelude::*;
///
/// #[derive(Hooks, Default)]
/// struct Db { #[hooks(base)] service: Service, open: bool }
///
/// #[hooks]
/// impl Db {
///     #[on_start]
///     fn open(&mut self) { self.open = true; }
///     #[on_stop]
///     fn close(&mut self) { self.open = false; }
/// }
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), LifecycleError> {
/// let runtime = Runtime::new();
/// let db = runtime.spawn(Db::default());      // Created: nothing has run yet
/// db.start().await?;                          // initializes first, returns once Running
/// assert_eq!(db.state(), LifecycleState::Running);
/// let db = db.stop().await?;                  // runs on_stop hooks, hands the component back
/// assert!(!db.open);
/// # Ok(()) }
/// ```
#[derive(Clone, Default)]
pub struct Runtime {
    inner: Arc<RuntimeInner>,
}

#[derive(Default)]
struct RuntimeInner {
    /// Every component, in spawn order.
    components: Mutex<Registry>,
    next_id: AtomicU64,
    bus: Arc<Bus>,
}

impl Runtime {
    /// A runtime whose components run on the ambient tokio runtime (spawning needs one).
    pub fn new() -> Self {
        Self::default()
    }

    /// Takes ownership of `component` and returns its handle; the component stays `Created`.
    ///
    /// # Panics
    /// Outside a tokio runtime, like `tokio::spawn`.
    pub fn spawn<T: Hooks>(&self, component: T) -> Handle<T> {
        self.spawn_named(T::NAME, component)
    }

    /// [`spawn`](Self::spawn) with a name for logs, errors and [`Context::name`].
    ///
    /// # Panics
    /// Outside a tokio runtime, like `tokio::spawn`.
    pub fn spawn_named<T: Hooks>(&self, name: impl Into<Arc<str>>, component: T) -> Handle<T> {
        let name = name.into();
        let id = self.inner.next_id.fetch_add(1, Ordering::Relaxed);
        let (tx, rx) = mpsc::channel(MAILBOX);
        let (mail_tx, mail_rx) = mpsc::channel(MESSAGE_MAILBOX);
        let (state_tx, state_rx) = watch::channel(LifecycleState::Created);
        let stop_requested = Arc::new(StopRequest::default());
        let bus = self.inner.bus.clone();
        let context = Context::new(name.clone(), id, stop_requested.clone(), state_rx.clone(), bus.clone());
        let actor = Actor {
            component,
            name: name.clone(),
            id,
            state: LifecycleState::Created,
            state_tx,
            context: context.clone(),
            stop_requested: stop_requested.clone(),
            tasks: Vec::new(),
            rolled_back: false,
            mail_rx,
            mail_tx: mail_tx.clone(),
            bus: bus.clone(),
            routes: None,
            routes_generation: 0,
            pulls: Vec::new(),
        };
        tokio::spawn(context.scope(actor.run(rx)));
        let handle = Handle {
            shared: Arc::new(Shared {
                tx,
                mail: mail_tx,
                bus,
                state: state_rx,
                name,
                id,
                stop_requested,
                runtime: Arc::downgrade(&self.inner),
            }),
        };
        lock(&self.inner.components).entries.insert(id, Entry { handle: Arc::new(handle.clone()), started: None });
        handle
    }

    /// Starts every component not started yet, in spawn order. When one fails, the components this
    /// call started are stopped in reverse order and the failure is returned.
    pub async fn start_all(&self) -> Result<(), LifecycleError> {
        let components: Vec<Arc<dyn Managed>> =
            lock(&self.inner.components).entries.values().map(|e| e.handle.clone()).collect();
        let mut started: Vec<&Arc<dyn Managed>> = Vec::new();
        for c in &components {
            if c.state() != LifecycleState::Created && c.state() != LifecycleState::Initialized {
                continue;
            }
            if let Err(err) = c.start().await {
                for done in started.iter().rev() {
                    let _ = done.stop(StopReason::Parent).await;
                }
                return Err(err);
            }
            started.push(c);
        }
        Ok(())
    }

    /// Stops every component: those that started in reverse start order, then the others in
    /// reverse spawn order. Every failure of every component's stop hooks comes back in one
    /// `MultiError`; components already handed back are skipped.
    pub async fn stop_all(&self) -> Result<(), MultiError> {
        let order = lock(&self.inner.components).stop_order();
        let mut errors = MultiError::default();
        for c in order {
            if let Err(LifecycleError::Hooks { errors: failed, .. }) = c.stop(StopReason::Requested).await {
                // Only this call holds the Arc once the component is handed back.
                match Arc::try_unwrap(failed) {
                    Ok(failed) => failed.into_iter().for_each(|e| errors.push(e)),
                    Err(shared) => tracing::warn!(error = %shared, "stop failed"),
                }
            }
        }
        errors.into_result()
    }

    /// Publishes `message` to every running component with an `on_message` handler for its type;
    /// returns how many accepted it (waiting while a mailbox is full).
    pub async fn publish(&self, message: Message) -> usize {
        self.inner.bus.publish(message).await
    }

    /// Puts `message` on the work queue of its type: exactly one component with an
    /// `on_pull_message` handler for that type will handle it.
    pub async fn push(&self, message: Message) -> Result<(), SendError> {
        self.inner.bus.push(message).await
    }

    /// Calls `observer` for every message sent to or received by a component of this runtime
    /// (the SEND/RECEIVE edge events, for logging or metrics).
    pub fn observe(&self, observer: impl Fn(&MessageEvent) + Send + Sync + 'static) {
        self.inner.bus.observe(Arc::new(observer));
    }

    /// Takes the pulled messages whose handler failed (kept, not dropped; the last
    /// [`DEAD_LETTERS`](crate::bus::DEAD_LETTERS)).
    pub fn dead_letters(&self) -> Vec<DeadLetter> {
        self.inner.bus.take_dead_letters()
    }

    /// The components not handed back yet, in spawn order: names and states.
    pub fn components(&self) -> Vec<(String, LifecycleState)> {
        lock(&self.inner.components).entries.values().map(|e| (e.handle.name().to_owned(), e.handle.state())).collect()
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// A component as the runtime sees it, whatever its type.
trait Managed: Send + Sync {
    fn name(&self) -> &str;
    fn state(&self) -> LifecycleState;
    fn start(&self) -> BoxFuture<'_, Result<(), LifecycleError>>;
    fn stop(&self, reason: StopReason) -> BoxFuture<'_, Result<(), LifecycleError>>;
}

impl<T: Hooks> Managed for Handle<T> {
    fn name(&self) -> &str {
        &self.shared.name
    }
    fn state(&self) -> LifecycleState {
        Handle::state(self)
    }
    fn start(&self) -> BoxFuture<'_, Result<(), LifecycleError>> {
        Box::pin(Handle::start(self))
    }
    fn stop(&self, reason: StopReason) -> BoxFuture<'_, Result<(), LifecycleError>> {
        Box::pin(async move {
            match self.stop_with(reason, None).await {
                Ok(_) | Err(LifecycleError::Gone { .. }) => Ok(()),
                Err(err) => Err(err),
            }
        })
    }
}

/// The handle of a component run by a [`Runtime`]: drives its lifecycle, hands it back on stop.
/// Cheap to clone; every method takes `&self`.
pub struct Handle<T> {
    shared: Arc<Shared<T>>,
}

struct Shared<T> {
    tx: mpsc::Sender<Op<T>>,
    mail: mpsc::Sender<Delivery>,
    bus: Arc<Bus>,
    state: watch::Receiver<LifecycleState>,
    name: Arc<str>,
    id: u64,
    stop_requested: Arc<StopRequest>,
    runtime: Weak<RuntimeInner>,
}

impl<T> Clone for Handle<T> {
    fn clone(&self) -> Self {
        Handle { shared: self.shared.clone() }
    }
}

impl<T> std::fmt::Debug for Handle<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Handle")
            .field("name", &self.shared.name)
            .field("id", &self.shared.id)
            .field("state", &*self.shared.state.borrow())
            .finish()
    }
}

type Reply<R> = oneshot::Sender<Result<R, LifecycleError>>;

/// Sends `$delivery` to the mailbox of `$handle` (waiting while it is full) and tells the observers;
/// a closed mailbox hands the message back in a `SendError`. A macro, not an `async fn`, so that the
/// public `async fn`s that send await tokio's `send` directly: a layer of `async fn` in between (and
/// a second one for calls) measurably slows every message and call.
macro_rules! send {
    ($handle:expr, $delivery:expr) => {{
        let handle = $handle;
        let delivery: Delivery = $delivery;
        let kind = handle.shared.bus.sent_kind(delivery.message());
        // `try_send` first: when there is room (the common case) it is `send` without its future;
        // the task's budget is spent as `send` would spend it.
        let sent = match handle.shared.mail.try_send(delivery) {
            Ok(()) => {
                tokio::task::consume_budget().await;
                Ok(())
            }
            Err(mpsc::error::TrySendError::Full(delivery)) => handle.shared.mail.send(delivery).await.map_err(|e| e.0),
            Err(mpsc::error::TrySendError::Closed(delivery)) => Err(delivery),
        };
        match sent {
            Ok(()) => {
                handle.shared.bus.notify_sent(|| handle.shared.name.clone(), kind);
                Ok(())
            }
            Err(delivery) => Err(handle.rejected(delivery.into_message())),
        }
    }};
}

/// Sends a call of kind `$kind` carrying `$message` to `$handle`'s component and awaits the
/// response (see [`send!`]).
macro_rules! call {
    ($handle:expr, $kind:expr, $message:expr) => {{
        let handle = $handle;
        let (reply, rx) = oneshot::channel();
        match send!(handle, Delivery::Call { kind: $kind, message: $message, reply }) {
            // The component answers every call it accepted, also while stopping.
            Ok(()) => rx.await.unwrap_or_else(|_| Err(CallError::Rejected(handle.rejected(Message::default())))),
            Err(rejected) => Err(CallError::Rejected(rejected)),
        }
    }};
}

/// Runs the hooks of type `$H` at `$positions` (a message's handlers) on `$component`, collecting
/// every failure in a `MultiError`. A macro rather than an `async fn`, to spare each delivery one
/// layer of future around the hook runs.
macro_rules! run_at {
    ($component:expr, $H:ty, $positions:expr, $arg:expr) => {{
        let mut errors = MultiError::default();
        for &position in $positions {
            if let Some(Err(error)) = $component.run_hook_at::<$H>(position, $arg).await {
                errors.push(error);
            }
        }
        errors
    }};
}

/// A call to a component's task.
enum Op<T> {
    Initialize(Reply<()>),
    Start(Reply<()>),
    Stop { reason: StopReason, budget: Option<Duration>, reply: Reply<T> },
    With(Box<dyn FnOnce(&mut T) + Send>),
}

impl<T: Hooks> Handle<T> {
    /// The component's name.
    pub fn name(&self) -> &str {
        &self.shared.name
    }

    /// The component's id, unique in its runtime.
    pub fn id(&self) -> u64 {
        self.shared.id
    }

    /// Its current state.
    pub fn state(&self) -> LifecycleState {
        *self.shared.state.borrow()
    }

    /// A watch on its state: every transition is published (a slow reader sees the latest).
    pub fn watch_state(&self) -> watch::Receiver<LifecycleState> {
        self.shared.state.clone()
    }

    /// Waits until the component is `Stopped` (by a handle or by a hook's `Context::request_stop`).
    pub async fn wait_stopped(&self) {
        let mut state = self.shared.state.clone();
        // An error means the component's task is gone, which only happens once it is stopped.
        let _ = state.wait_for(|s| *s == LifecycleState::Stopped).await;
    }

    /// Runs the `on_init` hooks: `Created → Initializing → Initialized` (or `Failed`, after the
    /// `on_stop` hooks ran in reverse with `StopReason::Failed`). In any other state: `InvalidState`.
    pub async fn initialize(&self) -> Result<(), LifecycleError> {
        self.call("initialize", Op::Initialize).await
    }

    /// Initializes if needed, runs the `on_start` hooks, starts the background tasks and returns
    /// once `Running`. On failure: `Failed` after a rollback (the `on_stop` hooks in reverse).
    pub async fn start(&self) -> Result<(), LifecycleError> {
        self.call("start", Op::Start).await?;
        if let Some(rt) = self.shared.runtime.upgrade() {
            let mut registry = lock(&rt.components);
            let start = registry.starts;
            registry.starts += 1;
            if let Some(entry) = registry.entries.get_mut(&self.shared.id) {
                entry.started = Some(start);
            }
        }
        Ok(())
    }

    /// Stops the component: background tasks and spawned tasks are cancelled, then the `on_stop`
    /// hooks run in reverse order (all of them, failures collected); then it is handed back.
    /// A second `stop()` is `Err(Gone)`. A stop during start waits for start to finish.
    pub async fn stop(&self) -> Result<T, LifecycleError> {
        self.stop_with(StopReason::Requested, None).await
    }

    /// [`stop`](Self::stop) with a budget: each async `on_stop` hook still running after `budget`
    /// is cancelled and reported as `HookError::TimedOut`; the other stop hooks still run.
    pub async fn stop_with_timeout(&self, budget: Duration) -> Result<T, LifecycleError> {
        self.stop_with(StopReason::TimedOut, Some(budget)).await
    }

    async fn stop_with(&self, reason: StopReason, budget: Option<Duration>) -> Result<T, LifecycleError> {
        let (reply, rx) = oneshot::channel();
        let sent = self.shared.tx.send(Op::Stop { reason, budget, reply }).await;
        // Interrupts a background task in progress; the stop call is already queued.
        self.shared.stop_requested.raise();
        let result =
            if sent.is_err() { Err(self.gone("stop")) } else { rx.await.unwrap_or_else(|_| Err(self.gone("stop"))) };
        // Handed back (or gone): the runtime lets go of it.
        if let Some(rt) = self.shared.runtime.upgrade() {
            lock(&rt.components).entries.remove(&self.shared.id);
        }
        result
    }

    /// Delivers `message` to this component's `on_message` handlers for its type, waiting while the
    /// mailbox is full. Accepted messages are handled exactly once, even when a stop follows; once
    /// stop has begun the message is handed back in the error.
    pub async fn publish(&self, message: Message) -> Result<(), SendError> {
        send!(self, Delivery::Message(message))
    }

    /// [`publish`](Self::publish) without waiting: a full mailbox hands the message back too.
    pub fn try_publish(&self, message: Message) -> Result<(), SendError> {
        let kind = self.shared.bus.sent_kind(&message);
        self.shared.mail.try_send(Delivery::Message(message)).map_err(|e| {
            let delivery = match e {
                mpsc::error::TrySendError::Full(d) | mpsc::error::TrySendError::Closed(d) => d,
            };
            SendError { component: self.shared.name.clone(), message: delivery.into_message() }
        })?;
        self.shared.bus.notify_sent(|| self.shared.name.clone(), kind);
        Ok(())
    }

    /// Delivers `message` to this component's `on_pull_message` handlers.
    pub async fn push(&self, message: Message) -> Result<(), SendError> {
        send!(self, Delivery::Pull(message))
    }

    /// Sends a command and waits for the response: what the `on_command` handler returned.
    /// No handler, or a failing one, is an error, never silence.
    pub async fn command(&self, message: Message) -> Result<Response, CallError> {
        call!(self, CallKind::Command, message)
    }

    /// Sends a request and waits for the reply (`on_request` handlers).
    pub async fn request(&self, message: Message) -> Result<Response, CallError> {
        call!(self, CallKind::Request, message)
    }

    /// [`request`](Self::request), giving up after `timeout` (`CallError::TimedOut`).
    pub async fn request_with_timeout(&self, message: Message, timeout: Duration) -> Result<Response, CallError> {
        let kind = message.key().clone();
        tokio::time::timeout(timeout, self.call_with(CallKind::Request, message))
            .await
            .unwrap_or_else(|_| Err(CallError::TimedOut { component: self.shared.name.clone(), kind, timeout }))
    }

    async fn call_with(&self, kind: CallKind, message: Message) -> Result<Response, CallError> {
        call!(self, kind, message)
    }

    fn rejected(&self, message: Message) -> SendError {
        SendError { component: self.shared.name.clone(), message }
    }

    /// Runs `f` on the component between two hooks, and returns what it returns. When the
    /// component is running, `f` sees every message accepted before this call.
    pub async fn with<R: Send + 'static>(
        &self,
        f: impl FnOnce(&mut T) -> R + Send + 'static,
    ) -> Result<R, LifecycleError> {
        let (reply, rx) = oneshot::channel();
        let op = Op::With(Box::new(move |c: &mut T| {
            let _ = reply.send(f(c));
        }));
        if self.shared.tx.send(op).await.is_err() {
            return Err(self.gone("inspect"));
        }
        rx.await.map_err(|_| self.gone("inspect"))
    }

    async fn call(&self, op: &'static str, make: fn(Reply<()>) -> Op<T>) -> Result<(), LifecycleError> {
        let (reply, rx) = oneshot::channel();
        if self.shared.tx.send(make(reply)).await.is_err() {
            return Err(self.gone(op));
        }
        rx.await.unwrap_or_else(|_| Err(self.gone(op)))
    }

    fn gone(&self, op: &'static str) -> LifecycleError {
        LifecycleError::Gone { component: self.shared.name.clone(), op }
    }
}

/// What the loop of a component's task handles next.
enum Event<T> {
    /// An op, or `None` once every handle is gone.
    Op(Option<Op<T>>),
    /// `Context::request_stop` (or a handle's stop, whose op comes first).
    StopRequested,
    /// From the mailbox.
    Delivery(Delivery),
    /// From a work queue.
    Pull(Message),
    /// A background task is due.
    Tick,
}

/// The task that owns a component.
struct Actor<T> {
    component: T,
    name: Arc<str>,
    id: u64,
    state: LifecycleState,
    state_tx: watch::Sender<LifecycleState>,
    context: Context,
    stop_requested: Arc<StopRequest>,
    tasks: Vec<Task>,
    /// The `on_stop` hooks already ran to roll back a failed start.
    rolled_back: bool,
    mail_rx: mpsc::Receiver<Delivery>,
    /// Kept to subscribe on the bus.
    mail_tx: mpsc::Sender<Delivery>,
    bus: Arc<Bus>,
    /// Built when the component starts, rebuilt when its attached hooks change while it runs.
    routes: Option<Routes>,
    /// The attached hooks' generation the routes were built at.
    routes_generation: u64,
    /// The work queues this component pulls from while running.
    pulls: Vec<WorkQueue>,
}

impl<T: Hooks> Actor<T> {
    async fn run(mut self, rx: mpsc::Receiver<Op<T>>) {
        let mut ops = Ops { rx, armed: None };
        // The waker the stop request holds (see `StopRequest::raised_armed`).
        let mut stop_armed = None;
        loop {
            let stoppable = self.state != LifecycleState::Stopped;
            let running = self.state == LifecycleState::Running;
            // What comes first: ops, then a stop request, then messages (in mailbox order), then
            // pulled messages, then background tasks.
            let event = if self.pulls.is_empty() && self.tasks.is_empty() {
                // The common case, without the select's futures for work queues and timers.
                let (stop, mail) = (&self.stop_requested, &mut self.mail_rx);
                std::future::poll_fn(|cx| {
                    if let Poll::Ready(op) = ops.poll_next(cx) {
                        return Poll::Ready(Event::Op(op));
                    }
                    if stoppable && stop.poll_raised_armed(&mut stop_armed, cx).is_ready() {
                        return Poll::Ready(Event::StopRequested);
                    }
                    if running {
                        if let Poll::Ready(Some(delivery)) = mail.poll_recv(cx) {
                            return Poll::Ready(Event::Delivery(delivery));
                        }
                    }
                    Poll::Pending
                })
                .await
            } else {
                let next_tick = Task::next_due(&self.tasks);
                tokio::select! {
                    biased;
                    op = ops.next() => Event::Op(op),
                    () = self.stop_requested.raised_armed(&mut stop_armed), if stoppable => Event::StopRequested,
                    Some(delivery) = self.mail_rx.recv(), if running => Event::Delivery(delivery),
                    message = next_pull(&self.pulls), if running && !self.pulls.is_empty() => Event::Pull(message),
                    () = sleep_until(next_tick), if next_tick.is_some() => Event::Tick,
                }
            };
            match event {
                Event::Op(Some(Op::Stop { reason, budget, reply })) => {
                    let result = self.stop(reason, budget).await;
                    let _ = reply.send(match result {
                        Ok(()) => Ok(self.component),
                        Err(errors) => Err(LifecycleError::Hooks {
                            component: self.name,
                            op: "stop",
                            errors: Arc::new(errors),
                            rollback: None,
                            recovered: Recovered::new(self.component),
                        }),
                    });
                    return;
                }
                Event::Op(Some(Op::Initialize(reply))) => {
                    let _ = reply.send(self.initialize().await);
                }
                Event::Op(Some(Op::Start(reply))) => {
                    let _ = reply.send(self.start().await);
                }
                Event::Op(Some(Op::With(f))) => {
                    // Sees every message accepted before it was sent (the mailbox is a separate
                    // channel): handle what is queued first.
                    if running {
                        while let Ok(delivery) = self.mail_rx.try_recv() {
                            self.deliver(delivery).await;
                        }
                    }
                    f(&mut self.component);
                    self.refresh_routes();
                }
                Event::Op(None) => {
                    // Every handle is gone: stop, then drop the component.
                    if stoppable {
                        let _ = self.stop(StopReason::Parent, None).await;
                    }
                    return;
                }
                Event::StopRequested => {
                    // Asked by a hook (`Context::request_stop`); a handle's `stop()` arrives as an
                    // op first. The component waits, stopped, to be handed back.
                    if let Err(errors) = self.stop(StopReason::Requested, None).await {
                        tracing::warn!(component = %self.name, error = %errors, "stop hooks failed");
                    }
                }
                Event::Delivery(delivery) => {
                    self.deliver(delivery).await;
                    self.deliver_queued(&ops.rx).await;
                }
                Event::Pull(message) => self.deliver(Delivery::Pull(message)).await,
                Event::Tick => self.run_due_tasks().await,
            }
        }
    }

    /// Moves to `to` and runs the `on_state_change` hooks (failures are logged: a transition has
    /// happened whatever its observers do).
    async fn transition(&mut self, to: LifecycleState) {
        debug_assert!(lifecycle::allowed(self.state, to), "{:?} -> {to:?}", self.state);
        let change = StateChange { old: self.state, new: to };
        self.state = to;
        self.state_tx.send_replace(to);
        tracing::debug!(component = %self.name, old = ?change.old, new = ?to, "transition");
        if let Err(errors) = self.component.run_hooks_with::<OnStateChange>(&change).await {
            tracing::warn!(component = %self.name, error = %errors, "on_state_change hooks failed");
        }
    }

    fn invalid(&self, op: &'static str) -> LifecycleError {
        LifecycleError::InvalidState { component: self.name.clone(), op, state: self.state }
    }

    async fn initialize(&mut self) -> Result<(), LifecycleError> {
        if self.state != LifecycleState::Created {
            return Err(self.invalid("initialize"));
        }
        self.transition(LifecycleState::Initializing).await;
        match self.component.run_hooks::<OnInit>().await {
            Ok(()) => {
                self.transition(LifecycleState::Initialized).await;
                Ok(())
            }
            Err(errors) => Err(self.fail("initialize", errors).await),
        }
    }

    async fn start(&mut self) -> Result<(), LifecycleError> {
        if self.state == LifecycleState::Created {
            self.initialize().await?;
        }
        if self.state != LifecycleState::Initialized {
            return Err(self.invalid("start"));
        }
        self.transition(LifecycleState::Starting).await;
        match self.component.run_hooks::<OnStart>().await {
            Ok(()) => {
                self.tasks = Task::schedule(self.component.hooks::<BackgroundTask>(), tokio::time::Instant::now());
                self.subscribe();
                self.transition(LifecycleState::Running).await;
                Ok(())
            }
            Err(errors) => Err(self.fail("start", errors).await),
        }
    }

    /// A startup hook failed: `Failed`, then the `on_stop` hooks in reverse as a rollback.
    async fn fail(&mut self, op: &'static str, errors: MultiError) -> LifecycleError {
        let errors = Arc::new(errors);
        self.transition(LifecycleState::Failed).await;
        let reason = StopReason::Failed(errors.clone());
        let rollback = self.component.run_hooks_reversed_with::<OnStop>(&reason).await.err();
        self.rolled_back = true;
        LifecycleError::Hooks { component: self.name.clone(), op, errors, rollback, recovered: Recovered::default() }
    }

    /// Cancels tasks, runs the `on_stop` hooks in reverse (unless a rollback already ran them).
    async fn stop(&mut self, reason: StopReason, budget: Option<Duration>) -> Result<(), MultiError> {
        if self.state == LifecycleState::Stopped {
            return Ok(());
        }
        // From here a send fails and hands its message back; what was accepted is handled below.
        self.mail_rx.close();
        self.bus.unsubscribe(self.id);
        self.pulls.clear();
        self.tasks.clear();
        self.context.cancel_tasks().await;
        self.transition(LifecycleState::Stopping).await;
        while let Ok(delivery) = self.mail_rx.try_recv() {
            self.deliver(delivery).await;
        }
        let result = if self.rolled_back {
            Ok(())
        } else {
            let options = RunOptions { reversed: true, timeout_cap: budget };
            self.component.run_hooks_with_options::<OnStop>(&reason, options).await
        };
        self.transition(LifecycleState::Stopped).await;
        result
    }

    /// Resolves the message routes (params seen now) and subscribes on the bus.
    fn subscribe(&mut self) {
        let routes = Routes::of(&self.component);
        self.routes_generation = self.attached_generation();
        self.bus.resubscribe(self.id, routes.message.keys(), &self.name, &self.mail_tx);
        self.pulls = routes.pull.keys().map(|key| self.bus.queue(key)).collect();
        self.routes = Some(routes);
    }

    fn attached_generation(&self) -> u64 {
        self.component.__hooks_attached().map_or(0, |a| a.generation())
    }

    /// A running component whose attached hooks changed (a message hook attached, replaced or
    /// removed by an op or by one of its own hooks) gets its routes and subscriptions rebuilt, so
    /// that each message still goes to the handlers it names.
    fn refresh_routes(&mut self) {
        if self.state == LifecycleState::Running && self.attached_generation() != self.routes_generation {
            self.subscribe();
        }
    }

    /// Delivers the messages already in the mailbox, one after the other without going back to
    /// the select loop for each, for as long as nothing that comes first is waiting: an op (the
    /// loop takes ops before messages) or a stop request. Yields as `recv` would, when the task's
    /// tokio budget is spent.
    async fn deliver_queued(&mut self, ops: &mpsc::Receiver<Op<T>>) {
        while !self.mail_rx.is_empty() && ops.is_empty() && !self.stop_requested.is_raised() {
            let Ok(delivery) = self.mail_rx.try_recv() else { return };
            self.deliver(delivery).await;
            tokio::task::consume_budget().await;
        }
    }

    /// Runs the handlers of one delivery, in hook order; every failure is reported.
    async fn deliver(&mut self, delivery: Delivery) {
        self.received(delivery.message());
        // Resolved when the component started; a delivery before (while it stops without having
        // started) resolves them now.
        let resolved;
        let routes = match &self.routes {
            Some(routes) => routes,
            None => {
                resolved = Routes::of(&self.component);
                &resolved
            }
        };
        match delivery {
            Delivery::Message(message) => {
                let positions = routes.message.get(message.key()).map_or(&[][..], Vec::as_slice);
                let errors = run_at!(self.component, OnMessage, positions, &message);
                if positions.is_empty() {
                    tracing::debug!(component = %self.name, kind = ?message.key(), "no on_message handler");
                } else if !errors.is_empty() {
                    tracing::warn!(component = %self.name, kind = ?message.key(), %errors, "message handlers failed");
                }
            }
            Delivery::Call { kind, message, reply } => {
                let table = match kind {
                    CallKind::Command => &routes.command,
                    CallKind::Request => &routes.request,
                };
                let positions = table.get(message.key()).map_or(&[][..], Vec::as_slice);
                let response = if positions.is_empty() {
                    Err(CallError::NoHandler { component: self.name.clone(), kind: message.key().clone() })
                } else {
                    let call = Call::new(message);
                    let errors = match kind {
                        CallKind::Command => run_at!(self.component, OnCommand, positions, &call),
                        CallKind::Request => run_at!(self.component, OnRequest, positions, &call),
                    };
                    if errors.is_empty() {
                        Ok(call.into_response().unwrap_or_else(|| Response::new(())))
                    } else {
                        let kind = call.message.key().clone();
                        Err(CallError::Failed { component: self.name.clone(), kind, errors })
                    }
                };
                let _ = reply.send(response);
            }
            Delivery::Pull(message) => {
                let positions = routes.pull.get(message.key()).map_or(&[][..], Vec::as_slice);
                let mut errors = run_at!(self.component, OnPullMessage, positions, &message);
                if positions.is_empty() || !errors.is_empty() {
                    if positions.is_empty() {
                        errors.push(hooks_core::HookError::Failed {
                            owner: T::NAME,
                            method: "on_pull_message".into(),
                            hook_type: "OnPullMessage",
                            source: hooks_core::BoxError::from(format!("no handler for {:?}", message.key())).into(),
                        });
                    }
                    self.bus.dead_letter(DeadLetter { component: self.name.clone(), message, errors });
                }
            }
        }
        // A handler may have attached or removed message hooks on its own component.
        self.refresh_routes();
    }

    fn received(&self, message: &Message) {
        self.bus.notify(|| MessageEvent::Received { by: self.name.clone(), kind: message.key().clone() });
    }

    /// Runs every background task that is due, one at a time; a stop request interrupts.
    async fn run_due_tasks(&mut self) {
        let now = tokio::time::Instant::now();
        for i in 0..self.tasks.len() {
            if self.tasks[i].next.is_none_or(|next| next > now) {
                continue;
            }
            let position = self.tasks[i].position;
            let outcome = tokio::select! {
                biased;
                () = self.stop_requested.raised() => return,
                outcome = self.component.run_hook_at::<BackgroundTask>(position, &()) => outcome,
            };
            let failed = match outcome {
                Some(Ok(())) => false,
                Some(Err(error)) => {
                    tracing::warn!(component = %self.name, task = %self.tasks[i].method, %error, "background task failed");
                    true
                }
                None => {
                    self.tasks[i].next = None;
                    continue;
                }
            };
            self.tasks[i].reschedule(failed, tokio::time::Instant::now());
        }
    }
}

/// The component's op channel, as its loop waits on it: once a poll has registered the task's
/// waker with the channel, later waits only take what is queued (`try_recv`: no registration, no
/// budget) until an op is taken or the task's waker changes. A registered waker stays with the
/// channel until a send (or the last sender's drop) wakes it, and then that op is in the channel:
/// taking it disarms. The loop checks the op channel each time it wakes up, before anything else,
/// so this keeps that check to one look at the queue.
struct Ops<T> {
    rx: mpsc::Receiver<Op<T>>,
    /// The waker registered with `rx` by the last poll that returned `Pending`.
    armed: Option<std::task::Waker>,
}

impl<T> Ops<T> {
    /// The next op; `None` once every handle is gone. Cancel-safe.
    fn next(&mut self) -> impl Future<Output = Option<Op<T>>> + '_ {
        std::future::poll_fn(move |cx| self.poll_next(cx))
    }

    fn poll_next(&mut self, cx: &mut std::task::Context<'_>) -> std::task::Poll<Option<Op<T>>> {
        use std::task::Poll;
        if self.armed.as_ref().is_some_and(|waker| waker.will_wake(cx.waker())) {
            // `is_empty` is a cheaper look than `try_recv`; a closed channel (every handle gone)
            // is empty too, and `try_recv` tells it.
            if self.rx.is_empty() && !self.rx.is_closed() {
                return Poll::Pending;
            }
            return match self.rx.try_recv() {
                Ok(op) => {
                    self.armed = None;
                    Poll::Ready(Some(op))
                }
                Err(mpsc::error::TryRecvError::Disconnected) => Poll::Ready(None),
                Err(mpsc::error::TryRecvError::Empty) => Poll::Pending,
            };
        }
        // Outside the task's budget: a `Pending` from `poll_recv` then always means that the waker
        // is registered (with the budget spent it would return `Pending` without registering).
        let rx = &mut self.rx;
        let polled = std::pin::pin!(tokio::task::unconstrained(std::future::poll_fn(|cx| rx.poll_recv(cx)))).poll(cx);
        self.armed = polled.is_pending().then(|| cx.waker().clone());
        polled
    }
}

/// The next message of any of `queues` (cancel-safe: a message is taken only when returned).
async fn next_pull(queues: &[WorkQueue]) -> Message {
    let receivers = queues.iter().map(|q| {
        Box::pin(async move {
            match q.rx.lock().await.recv().await {
                Some(message) => message,
                // The bus keeps every queue's sender: never closed.
                None => std::future::pending().await,
            }
        })
    });
    futures_util::future::select_all(receivers).await.0
}

async fn sleep_until(deadline: Option<tokio::time::Instant>) {
    match deadline {
        Some(deadline) => tokio::time::sleep_until(deadline).await,
        None => std::future::pending().await,
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use crate::prelude::*;

    #[derive(Hooks, Default)]
    struct Idle {
        #[hooks(base)]
        service: Service,
        #[hooks(base)]
        bus: MessageBusClient,
        n: u32,
        /// Asks for a stop from another task, after a while, once started.
        stop_from_elsewhere: bool,
    }

    #[hooks]
    impl Idle {
        #[on_start]
        fn start(&mut self, ctx: &Context) {
            if self.stop_from_elsewhere {
                let stopper = ctx.clone();
                // Not through `ctx.spawn` (stop would wait for it): a task of its own.
                tokio::spawn(async move {
                    tokio::time::sleep(Duration::from_millis(20)).await;
                    stopper.request_stop();
                });
            }
        }

        #[on_message("n")]
        fn count(&mut self, _m: &Message) {
            self.n += 1;
        }
    }

    /// The loop of an idle component (no background task, no work queue) is woken by a stop request
    /// made on another task (or thread), by ops after ops, and by messages after ops.
    async fn wake_ups() {
        let runtime = Runtime::new();
        let h = runtime.spawn(Idle::default());
        h.start().await.unwrap();
        for i in 1..=200 {
            h.publish(Message::signal("n")).await.unwrap();
            if i % 3 == 0 {
                tokio::task::yield_now().await;
            }
            assert_eq!(h.with(|c| c.n).await.unwrap(), i, "sees every message accepted before it");
        }
        assert_eq!(h.stop().await.unwrap().n, 200);

        let h = runtime.spawn(Idle { stop_from_elsewhere: true, ..Idle::default() });
        h.start().await.unwrap();
        tokio::time::timeout(Duration::from_secs(10), h.wait_stopped()).await.expect("woken by the stop request");
        assert_eq!(h.state(), LifecycleState::Stopped);
        h.stop().await.unwrap();
    }

    #[tokio::test]
    async fn an_idle_component_wakes_up_for_ops_messages_and_stop_requests() {
        wake_ups().await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn an_idle_component_wakes_up_for_ops_messages_and_stop_requests_across_threads() {
        wake_ups().await;
    }
}
