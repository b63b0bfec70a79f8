//! [`Runtime`]: runs components, each in its own tokio task that owns it (`actor.rs`), reached
//! through a [`Handle`] (`handle.rs`); the lifecycle operations are in `crate::lifecycle`.

pub(crate) mod actor;
mod handle;

use std::collections::BTreeMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use hooks_core::{Hooks, LifecycleState, MultiError, StopReason};
use tokio::sync::{mpsc, watch};

use crate::bus::{
    Bus, CallError, CallKind, DeadLetter, IntoMessage, MessageEvent, SendError, MAILBOX as MESSAGE_MAILBOX,
};
use crate::context::{Context, StopRequest};
use crate::error::LifecycleError;
use actor::{Actor, Pulls, Watch};
pub use handle::Handle;
use handle::Shared;

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
pub(crate) struct RuntimeInner {
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
        let context = Context::new(
            name.clone(),
            id,
            stop_requested.clone(),
            state_rx.clone(),
            bus.clone(),
            mail_tx.clone(),
            Arc::downgrade(&self.inner),
        );
        let watch = Arc::new(Watch::new(state_tx));
        let actor = Actor {
            component,
            name: name.clone(),
            id,
            state: LifecycleState::Created,
            watch: watch.clone(),
            context: context.clone(),
            stop_requested: stop_requested.clone(),
            tasks: Vec::new(),
            rolled_back: false,
            mail_rx,
            mail_tx: mail_tx.clone(),
            bus: bus.clone(),
            routes: None,
            routes_generation: 0,
            pulls: Pulls::new(bus.clone(), id),
            deadline: None,
        };
        let running = watch.running.clone();
        // Every span and event of the component's task (hook spans, failures, transitions)
        // carries its name and id: three workers of one type are told apart.
        let span = tracing::info_span!("component", name = %name, id);
        let task = tokio::spawn(tracing::Instrument::instrument(context.clone().scope(running, actor.run(rx)), span));
        let _ = watch.task.set(task.abort_handle());
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
                watch,
                context,
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
                    let _ = done.stop(StopReason::Parent, None).await;
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
        self.stop_each(None).await
    }

    /// A runtime whose bus also reaches other processes through `transport`: the messages of
    /// every `#[message(serde)]` contract are published, pushed and called across processes;
    /// everything else stays in the process. Connects first; see `NatsTransport` (feature `nats`)
    /// and `docs/distributed.md`.
    ///
    /// ```no_run
    /// use hooks_runtime::prelude::*;
    /// use hooks_runtime::NatsTransport;
    ///
    /// # #[tokio::main] async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let runtime = Runtime::with_transport(NatsTransport::new("nats://127.0.0.1:4222").prefix("demo")).await?;
    /// # runtime.stop_all().await?; Ok(()) }
    /// ```
    #[cfg(feature = "nats")]
    pub async fn with_transport(transport: crate::nats::NatsTransport) -> Result<Runtime, crate::bus::TransportError> {
        let runtime = Runtime::new();
        let bridge = transport.start(Arc::downgrade(&runtime.inner.bus)).await?;
        runtime.inner.bus.set_transport(bridge);
        Ok(runtime)
    }

    /// Waits until the transport to other processes (if any) listens for everything the running
    /// components handle: a message another process sends from now on reaches them.
    /// `Handle::start` and `start_all` wait for this themselves.
    pub async fn transport_ready(&self) {
        if let Some(transport) = self.inner.bus.transport() {
            transport.ready().await;
        }
    }

    /// [`stop_all`](Self::stop_all) with a budget per component (see
    /// [`Handle::stop_with_timeout`]): a component that does not stop within it is cancelled and
    /// its `HookError::TimedOut` (naming what was still running) is among the errors; the
    /// components after it still stop.
    pub async fn stop_all_with_timeout(&self, budget: Duration) -> Result<(), MultiError> {
        self.stop_each(Some(budget)).await
    }

    /// Runs until `signal` completes, then stops every component as
    /// [`stop_all_with_timeout`](Self::stop_all_with_timeout) does, with `budget` for each: the
    /// shutdown sequence of a service, with any future as the trigger (a test's channel, a
    /// health check). [`shutdown_on_signal`](Self::shutdown_on_signal) is this with Ctrl-C or
    /// SIGTERM.
    pub async fn shutdown_when(&self, signal: impl Future<Output = ()>, budget: Duration) -> Result<(), MultiError> {
        signal.await;
        tracing::info!(components = lock(&self.inner.components).entries.len(), ?budget, "shutting down");
        // Not logged: the caller gets every failure (logged once, by whoever receives it).
        self.stop_all_with_timeout(budget).await
    }

    /// Waits for Ctrl-C (SIGINT) or, on Unix, SIGTERM, then stops every component in the reverse
    /// of their start order, each within `budget`; what did not stop in time (or failed to stop)
    /// comes back in the error, each naming its component's hook (not logged here: the caller
    /// has it). One line at the end of `main`:
    ///
    /// ```no_run
    /// use std::time::Duration;
    /// use hooks_runtime::prelude::*;
    ///
    /// #[derive(Hooks, Default)]
    /// struct Worker {
    ///     #[hooks(base)]
    ///     service: Service,
    /// }
    ///
    /// #[tokio::main]
    /// async fn main() -> Result<(), Box<dyn std::error::Error>> {
    ///     let runtime = Runtime::new();
    ///     runtime.spawn(Worker::default());
    ///     runtime.start_all().await?;
    ///     runtime.shutdown_on_signal(Duration::from_secs(10)).await?;
    ///     Ok(())
    /// }
    /// ```
    ///
    /// A signal handler that cannot be installed is logged and that signal is not waited for.
    pub async fn shutdown_on_signal(&self, budget: Duration) -> Result<(), MultiError> {
        self.shutdown_when(signal(), budget).await
    }

    async fn stop_each(&self, budget: Option<Duration>) -> Result<(), MultiError> {
        let order = lock(&self.inner.components).stop_order();
        let mut errors = MultiError::default();
        for c in order {
            match c.stop(StopReason::Requested, budget).await {
                Err(LifecycleError::Hooks { errors: failed, .. } | LifecycleError::TimedOut { errors: failed, .. }) => {
                    // Only this call holds the Arc once the component is handed back.
                    match Arc::try_unwrap(failed) {
                        Ok(failed) => failed.into_iter().for_each(|e| errors.push(e)),
                        Err(shared) => shared.errors().iter().for_each(|e| errors.push(e.clone())),
                    }
                }
                Err(err) => tracing::warn!(component = c.name(), error = %err, "stop failed"),
                Ok(()) => {}
            }
        }
        // Unsubscribed from the other processes, and what was published or answered on the way
        // out is sent, before this returns.
        if let Some(transport) = self.inner.bus.transport() {
            transport.ready().await;
            if let Err(error) = transport.flush().await {
                tracing::error!(%error, "the transport did not flush");
            }
        }
        errors.into_result()
    }

    /// Publishes `message` (a contract's value, or a `Message`) to every running component with an
    /// `on_message` handler for its type; returns how many accepted it (waiting while a mailbox is
    /// full).
    ///
    /// With a transport (`Runtime::with_transport`), a contract it carries is also sent to the
    /// other processes (the count is this process's); a failure to send it there is logged, and
    /// [`publish_remote`](Self::publish_remote) returns it.
    pub async fn publish<M: IntoMessage>(&self, message: M) -> usize {
        crate::bus::publish_everywhere(&self.inner.bus, message.into_message()).await
    }

    /// [`publish`](Self::publish), and the transport's failure to send the message to other
    /// processes as an error (the server unreachable past the publish budget, a payload that
    /// does not encode) rather than a log line. Without a transport, or for a message it does
    /// not carry, it is `Ok` with the local count.
    pub async fn publish_remote<M: IntoMessage>(&self, message: M) -> Result<usize, crate::bus::TransportError> {
        crate::bus::publish_checked(&self.inner.bus, message.into_message()).await
    }

    /// Sends a command to whichever component handles its type: one of this runtime (the first
    /// spawned that runs) or, for a contract the transport carries, one of another process. The
    /// response as for [`Handle::command`]; no handler anywhere is `CallError::NoHandler`.
    pub async fn command<M: IntoMessage>(&self, message: M) -> Result<M::Reply, CallError> {
        let (component, response) = self.inner.bus.call(CallKind::Command, message.into_message()).await?;
        M::reply(response, &component)
    }

    /// [`command`](Self::command) for `on_request` handlers.
    pub async fn request<M: IntoMessage>(&self, message: M) -> Result<M::Reply, CallError> {
        let (component, response) = self.inner.bus.call(CallKind::Request, message.into_message()).await?;
        M::reply(response, &component)
    }

    /// Puts `message` (a contract's value, or a `Message`) on the work queue of its type: exactly
    /// one component with an `on_pull_message` handler for that type will handle it. Refused (the
    /// message handed back, see [`SendError::into_payload`]) when no running component pulls it.
    pub async fn push<M: IntoMessage>(&self, message: M) -> Result<(), SendError> {
        self.inner.bus.push(message.into_message()).await
    }

    /// The handle of the component named `name` (its `spawn_named` name; `spawn` names it after
    /// its type) if it is a `T` and has not been handed back by `stop()`: how one component
    /// reaches another without holding its handle (a hook does the same with
    /// [`Context::lookup`]). With several of that name and type, the first spawned.
    ///
    /// ```
    /// use hooks_runtime::prelude::*;
    ///
    /// #[derive(Message)]
    /// #[message(reply = u32)]
    /// struct Count;
    ///
    /// #[derive(Hooks, Default)]
    /// struct Worker { #[hooks(base)] service: Service, #[hooks(base)] commands: CommandHandler, n: u32 }
    ///
    /// #[hooks]
    /// impl Worker {
    ///     #[on_command]
    ///     fn count(&mut self, _: &Count) -> u32 { self.n }
    /// }
    ///
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let runtime = Runtime::new();
    /// runtime.spawn_named("worker-1", Worker { n: 3, ..Worker::default() });
    /// runtime.start_all().await?;
    /// let worker = runtime.lookup::<Worker>("worker-1").expect("spawned, not stopped");
    /// assert_eq!(worker.command(Count).await?, 3);
    /// assert!(runtime.lookup::<Worker>("worker-2").is_none());
    /// # runtime.stop_all().await?; Ok(()) }
    /// ```
    pub fn lookup<T: Hooks>(&self, name: &str) -> Option<Handle<T>> {
        lookup(&self.inner, name)
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

/// Ctrl-C, or on Unix SIGTERM (what `docker stop` and systemd send).
async fn signal() {
    let interrupt = async {
        if let Err(error) = tokio::signal::ctrl_c().await {
            tracing::error!(%error, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut terminate) => {
                terminate.recv().await;
            }
            Err(error) => {
                tracing::error!(%error, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = interrupt => tracing::info!("Ctrl-C received"),
        () = terminate => tracing::info!("SIGTERM received"),
    }
}

/// [`Runtime::lookup`] on `runtime` (also what [`Context::lookup`] runs).
pub(crate) fn lookup<T: Hooks>(runtime: &RuntimeInner, name: &str) -> Option<Handle<T>> {
    let components = lock(&runtime.components);
    components
        .entries
        .values()
        .filter(|e| e.handle.name() == name)
        .find_map(|e| e.handle.as_any().downcast_ref::<Handle<T>>().cloned())
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// A component as the runtime sees it, whatever its type.
trait Managed: Send + Sync {
    fn as_any(&self) -> &dyn std::any::Any;
    fn name(&self) -> &str;
    fn state(&self) -> LifecycleState;
    fn start(&self) -> BoxFuture<'_, Result<(), LifecycleError>>;
    fn stop(&self, reason: StopReason, budget: Option<Duration>) -> BoxFuture<'_, Result<(), LifecycleError>>;
}

impl<T: Hooks> Managed for Handle<T> {
    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
    fn name(&self) -> &str {
        Handle::name(self)
    }
    fn state(&self) -> LifecycleState {
        Handle::state(self)
    }
    fn start(&self) -> BoxFuture<'_, Result<(), LifecycleError>> {
        Box::pin(Handle::start(self))
    }
    fn stop(&self, reason: StopReason, budget: Option<Duration>) -> BoxFuture<'_, Result<(), LifecycleError>> {
        Box::pin(async move {
            match self.stop_with(reason, budget).await {
                Ok(_) | Err(LifecycleError::Gone { .. }) => Ok(()),
                Err(err) => Err(err),
            }
        })
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
