//! The task that owns a component: its loop takes ops, stop requests, messages, pulled work and
//! background ticks, one at a time, and runs the hooks they call for with `&mut self`. The
//! lifecycle operations it runs (initialize, start, stop) are in `lifecycle.rs`.

use std::borrow::Cow;
use std::future::Future;
use std::sync::atomic::{AtomicBool, AtomicU8, Ordering};
use std::sync::{Arc, OnceLock};
use std::task::Poll;
use std::time::Duration;

use hooks_core::__private::{Running, RunningHook};
use hooks_core::{BackgroundTask, HookError, Hooks, HooksMixin, Key, LifecycleState, MultiError, StopReason};
use tokio::sync::{mpsc, watch};
use tokio::task::AbortHandle;
use tokio::time::Instant;

use super::handle::Op;
use crate::bus::{
    Answer, Bus, Call, CallError, CallKind, DeadLetter, Delivery, Message, MessageEvent, OnCommand, OnMessage,
    OnPullMessage, OnRequest, Response, Routes, Work, WorkQueue,
};
use crate::context::{Context, StopRequest};
use crate::error::{LifecycleError, Recovered};
use crate::task::Task;

/// What a component's task is doing, shared with its handles: for a stop that runs out of budget
/// to name it, and to cancel the task.
pub(crate) struct Watch {
    activity: AtomicU8,
    /// The async hook the task waits on (written by hooks-core while one is pending).
    pub(super) running: Arc<Running>,
    /// The task, to cancel it once a stop's budget is spent.
    pub(super) task: OnceLock<AbortHandle>,
    /// Set once the task was cancelled: its state no longer changes.
    cancelled: AtomicBool,
    pub(crate) state: watch::Sender<LifecycleState>,
}

/// What a component's task is doing, when no async hook is pending (a plain `fn` hook that does
/// not return leaves only this).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub(crate) enum Activity {
    Waiting,
    OnInit,
    OnStart,
    OnStop,
    OnStateChange,
    OnMessage,
    OnCommand,
    OnRequest,
    OnPullMessage,
    BackgroundTask,
    With,
    Observer,
}

impl Activity {
    const ALL: [Activity; 12] = [
        Activity::Waiting,
        Activity::OnInit,
        Activity::OnStart,
        Activity::OnStop,
        Activity::OnStateChange,
        Activity::OnMessage,
        Activity::OnCommand,
        Activity::OnRequest,
        Activity::OnPullMessage,
        Activity::BackgroundTask,
        Activity::With,
        Activity::Observer,
    ];

    /// (what it runs, the hook type).
    fn describe(self) -> (&'static str, &'static str) {
        match self {
            Activity::Waiting => ("(between hooks)", "-"),
            Activity::OnInit => ("an `on_init` hook", "OnInit"),
            Activity::OnStart => ("an `on_start` hook", "OnStart"),
            Activity::OnStop => ("an `on_stop` hook", "OnStop"),
            Activity::OnStateChange => ("an `on_state_change` hook", "OnStateChange"),
            Activity::OnMessage => ("an `on_message` handler", "OnMessage"),
            Activity::OnCommand => ("an `on_command` handler", "OnCommand"),
            Activity::OnRequest => ("an `on_request` handler", "OnRequest"),
            Activity::OnPullMessage => ("an `on_pull_message` handler", "OnPullMessage"),
            Activity::BackgroundTask => ("a background task", "BackgroundTask"),
            Activity::With => ("a `Handle::with` closure", "-"),
            Activity::Observer => ("a `Runtime::observe` callback", "-"),
        }
    }
}

impl Watch {
    pub(super) fn new(state: watch::Sender<LifecycleState>) -> Self {
        Watch {
            activity: AtomicU8::new(Activity::Waiting as u8),
            running: Arc::default(),
            task: OnceLock::new(),
            cancelled: AtomicBool::new(false),
            state,
        }
    }

    #[inline]
    pub(crate) fn set(&self, activity: Activity) {
        self.activity.store(activity as u8, Ordering::Relaxed);
    }

    fn activity(&self) -> Activity {
        let n = self.activity.load(Ordering::Relaxed);
        Activity::ALL.get(usize::from(n)).copied().unwrap_or(Activity::Waiting)
    }

    /// What is running, as the hook failure a spent budget reports.
    pub(super) fn running_hook<T: Hooks>(&self, budget: Duration) -> HookError {
        let (owner, method, hook_type) = match self.running.get() {
            Some(RunningHook { owner, method, hook_type }) => (owner, method, hook_type),
            None => {
                let (what, hook_type) = self.activity().describe();
                (T::NAME, Cow::Borrowed(what), hook_type)
            }
        };
        HookError::TimedOut { owner, method, hook_type, timeout: budget }
    }

    /// Cancels the task (it ends at its next `.await`); from then on its state reads `Stopped`.
    pub(super) fn cancel(&self) {
        self.cancelled.store(true, Ordering::Release);
        if let Some(task) = self.task.get() {
            task.abort();
        }
        self.state.send_replace(LifecycleState::Stopped);
    }

    pub(crate) fn is_cancelled(&self) -> bool {
        self.cancelled.load(Ordering::Acquire)
    }
}

/// The work queues a component pulls from, by message type. Dropped with its task: a task that
/// ends without a stop (cancelled past its stop budget, or its runtime dropped) takes the
/// component off the bus here, so that no subscription, call route or queue membership (nor, with
/// a transport, a subscription on the server) outlives it; after a stop it has nothing left to do.
pub(crate) struct Pulls {
    bus: Arc<Bus>,
    id: u64,
    pub(crate) queues: Vec<(Key, WorkQueue)>,
}

impl Pulls {
    pub(crate) fn new(bus: Arc<Bus>, id: u64) -> Self {
        Pulls { bus, id, queues: Vec::new() }
    }

    /// Takes the component off the bus: no subscription, no call route, no work queue. Returns
    /// the queues it was the last puller of, removed from the bus.
    fn leave(&mut self) -> Vec<WorkQueue> {
        self.bus.unsubscribe(self.id);
        self.bus.unregister_calls(self.id);
        self.queues.drain(..).filter_map(|(key, _)| self.bus.leave_queue(&key)).collect()
    }
}

impl Drop for Pulls {
    fn drop(&mut self) {
        // What a cancelled component's queues still hold is lost with it, as its mailbox is.
        drop(self.leave());
    }
}

/// Runs the hooks of type `$H` at `$positions` (a message's handlers) on `$component`, collecting
/// every failure in a `MultiError`. A macro rather than an `async fn`, to spare each delivery one
/// layer of future around the hook runs.
macro_rules! run_at {
    ($component:expr, $H:ty, $positions:expr, $arg:expr, $cap:expr) => {{
        let mut errors = MultiError::default();
        for &position in $positions {
            if let Some(Err(error)) = $component.run_hook_at_capped::<$H>(position, $arg, $cap).await {
                errors.push(error);
            }
        }
        errors
    }};
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
    Pull(Work),
    /// A background task is due.
    Tick,
}

/// The task that owns a component.
pub(crate) struct Actor<T> {
    pub(crate) component: T,
    pub(crate) name: Arc<str>,
    pub(crate) id: u64,
    pub(crate) state: LifecycleState,
    pub(crate) watch: Arc<Watch>,
    pub(crate) context: Context,
    pub(crate) stop_requested: Arc<StopRequest>,
    pub(crate) tasks: Vec<Task>,
    /// The `on_stop` hooks already ran to roll back a failed start.
    pub(crate) rolled_back: bool,
    pub(crate) mail_rx: mpsc::Receiver<Delivery>,
    /// Kept to subscribe on the bus.
    pub(crate) mail_tx: mpsc::Sender<Delivery>,
    pub(crate) bus: Arc<Bus>,
    /// Built when the component starts, rebuilt when its attached hooks change while it runs.
    pub(crate) routes: Option<Routes>,
    /// The attached hooks' generation the routes were built at.
    pub(crate) routes_generation: u64,
    /// The work queues this component pulls from while running, and its leaving of the bus if
    /// its task ends without a stop.
    pub(crate) pulls: Pulls,
    /// While stopping with a budget: when it is spent (each hook is capped at what is left).
    pub(crate) deadline: Option<Instant>,
}

impl<T: Hooks> Actor<T> {
    pub(super) async fn run(mut self, rx: mpsc::Receiver<Op<T>>) {
        let mut ops = Ops { rx, armed: None };
        // The waker the stop request holds (see `StopRequest::raised_armed`).
        let mut stop_armed = None;
        loop {
            self.watch.set(Activity::Waiting);
            let stoppable = self.state != LifecycleState::Stopped;
            let running = self.state == LifecycleState::Running;
            // What comes first: ops, then a stop request, then messages (in mailbox order), then
            // pulled messages, then background tasks.
            let event = if self.pulls.queues.is_empty() && self.tasks.is_empty() {
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
                    message = next_pull(&self.pulls.queues), if running && !self.pulls.queues.is_empty() => Event::Pull(message),
                    () = sleep_until(next_tick), if next_tick.is_some() => Event::Tick,
                }
            };
            match event {
                Event::Op(Some(Op::Stop { reason, deadline, reply })) => {
                    self.deadline = deadline;
                    // Boxed, as every op below: the loop's future (the task's size, allocated and
                    // copied at every spawn) is then that of its largest delivery, not of a stop.
                    let result = Box::pin(self.stop(reason)).await;
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
                    let _ = reply.send(Box::pin(self.initialize()).await);
                }
                Event::Op(Some(Op::Start(reply))) => {
                    let _ = reply.send(Box::pin(self.start()).await);
                }
                Event::Op(Some(Op::With(f))) => {
                    // Sees every message accepted before it was sent (the mailbox is a separate
                    // channel): handles what is queued first, and only that much, so that it
                    // returns however fast new messages arrive.
                    if running {
                        for _ in 0..self.mail_rx.len() {
                            let Some(delivery) = self.mail_rx.recv().await else { break };
                            self.deliver(delivery).await;
                        }
                    }
                    self.watch.set(Activity::With);
                    // `f` catches its own panic (see `Handle::with`).
                    f(&mut self.component);
                    if self.routes_changed() {
                        Box::pin(self.refresh_routes()).await;
                    }
                }
                Event::Op(None) => {
                    // Every handle is gone: stop, then drop the component.
                    if stoppable {
                        let _ = Box::pin(self.stop(StopReason::Parent)).await;
                    }
                    return;
                }
                Event::StopRequested => {
                    // Asked by a hook (`Context::request_stop`); a handle's `stop()` arrives as an
                    // op first. The component waits, stopped, to be handed back.
                    if let Err(errors) = Box::pin(self.stop(StopReason::Requested)).await {
                        tracing::warn!(component = %self.name, error = %errors, "stop hooks failed");
                    }
                }
                Event::Delivery(delivery) => {
                    self.deliver(delivery).await;
                    self.deliver_queued(&ops.rx).await;
                }
                Event::Pull(work) => self.deliver_work(work).await,
                Event::Tick => self.run_due_tasks().await,
            }
        }
    }

    /// What is left of the stop budget, if the component is stopping with one.
    pub(crate) fn cap(&self) -> Option<Duration> {
        self.deadline.map(|deadline| deadline.saturating_duration_since(Instant::now()))
    }

    /// Resolves the message routes (params seen now) and subscribes on the bus; joins the work
    /// queues of the types it pulls and leaves the others. Returns the queues it was the last
    /// puller of, for the caller to empty.
    pub(crate) fn subscribe(&mut self, routes: Routes) -> Vec<WorkQueue> {
        self.routes_generation = self.attached_generation();
        self.bus.resubscribe(self.id, routes.message.keys(), &self.name, &self.mail_tx);
        self.bus.register_calls(self.id, routes.command.keys(), routes.request.keys(), &self.name, &self.mail_tx);
        let mut left = Vec::new();
        let mut pulls = Vec::with_capacity(routes.pull.len());
        for (key, queue) in self.pulls.queues.drain(..) {
            if routes.pull.contains_key(&key) {
                pulls.push((key, queue));
            } else if let Some(queue) = self.bus.leave_queue(&key) {
                left.push(queue);
            }
        }
        for key in routes.pull.keys() {
            if !pulls.iter().any(|(k, _)| k == key) {
                pulls.push((key.clone(), self.bus.join_queue(key)));
            }
        }
        self.pulls.queues = pulls;
        self.routes = Some(routes);
        left
    }

    /// Leaves the bus: no subscription, no work queue. Returns the queues it was the last puller
    /// of, removed from the bus, for the caller to empty.
    pub(crate) fn unsubscribe(&mut self) -> Vec<WorkQueue> {
        self.pulls.leave()
    }

    fn attached_generation(&self) -> u64 {
        self.component.__hooks_attached().map_or(0, |a| a.generation())
    }

    /// A running component whose attached hooks changed (a message hook attached, replaced or
    /// removed by an op or by one of its own hooks) gets its routes and subscriptions rebuilt, so
    /// that each message still goes to the handlers it names.
    #[inline]
    fn routes_changed(&self) -> bool {
        self.state == LifecycleState::Running && self.attached_generation() != self.routes_generation
    }

    #[cold]
    async fn refresh_routes(&mut self) {
        if !self.routes_changed() {
            return;
        }
        match Routes::try_of(&self.component) {
            Ok(routes) => {
                for queue in self.subscribe(routes) {
                    // Work of a type it no longer pulls, left with no puller at all.
                    for work in queue.close_and_drain().await {
                        self.dead_letter(work.message, "no puller is left for this type".into());
                    }
                }
            }
            Err(error) => {
                // The routes it had stay.
                self.routes_generation = self.attached_generation();
                tracing::error!(component = %self.name, %error, "message routes not rebuilt");
            }
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

    /// Runs the handlers of a pulled message, and tells whoever waits for it whether they
    /// succeeded.
    pub(crate) async fn deliver_work(&mut self, work: Work) {
        let Work { message, done } = work;
        let ok = self.deliver(Delivery::Pull(message)).await;
        if let Some(done) = done {
            let _ = done.send(ok);
        }
    }

    /// Runs the handlers of one delivery, in hook order; every failure is reported. `false` when
    /// a pulled message failed (kept as a dead letter).
    pub(crate) async fn deliver(&mut self, delivery: Delivery) -> bool {
        let mut ok = true;
        self.received(delivery.message());
        let cap = self.cap();
        // Resolved when the component started; a delivery before (while it stops without having
        // started) resolves them now.
        let resolved;
        let routes = match &self.routes {
            Some(routes) => routes,
            None => {
                resolved = Routes::try_of(&self.component).unwrap_or_else(|error| {
                    tracing::error!(component = %self.name, %error, "message routes not resolved");
                    Routes::default()
                });
                &resolved
            }
        };
        match delivery {
            Delivery::Message(message) => {
                self.watch.set(Activity::OnMessage);
                let positions = routes.message.get(message.key()).map_or(&[][..], Vec::as_slice);
                let errors = run_at!(self.component, OnMessage, positions, &message, cap);
                if positions.is_empty() {
                    tracing::debug!(component = %self.name, kind = ?message.key(), "no on_message handler");
                } else if !errors.is_empty() {
                    tracing::warn!(component = %self.name, kind = ?message.key(), %errors, "message handlers failed");
                }
            }
            Delivery::Call(mut call) => {
                let Some((kind, message, reply)) = call.take() else { return true };
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
                        CallKind::Command => {
                            self.watch.set(Activity::OnCommand);
                            run_at!(self.component, OnCommand, positions, &call, cap)
                        }
                        CallKind::Request => {
                            self.watch.set(Activity::OnRequest);
                            run_at!(self.component, OnRequest, positions, &call, cap)
                        }
                    };
                    if errors.is_empty() {
                        Ok(call.into_response().unwrap_or_else(|| Response::new(())))
                    } else {
                        let kind = call.message.key().clone();
                        Err(CallError::Failed { component: self.name.clone(), kind, errors })
                    }
                };
                let _ = reply.send(Answer::Done(response));
            }
            Delivery::Pull(message) => {
                self.watch.set(Activity::OnPullMessage);
                let positions = routes.pull.get(message.key()).map_or(&[][..], Vec::as_slice);
                let mut errors = run_at!(self.component, OnPullMessage, positions, &message, cap);
                if positions.is_empty() || !errors.is_empty() {
                    ok = false;
                    if positions.is_empty() {
                        errors.push(no_handler::<T>(format!("no handler for {:?}", message.key())));
                    }
                    self.bus.dead_letter(DeadLetter { component: self.name.clone(), message, errors });
                }
            }
        }
        // A handler may have attached or removed message hooks on its own component.
        if self.routes_changed() {
            // Boxed: its future (it may empty a work queue) would make every delivery's larger.
            Box::pin(self.refresh_routes()).await;
        }
        ok
    }

    /// Keeps `message` as a dead letter of this component, with `why`.
    pub(crate) fn dead_letter(&self, message: Message, why: String) {
        let errors = MultiError::from(no_handler::<T>(why));
        self.bus.dead_letter(DeadLetter { component: self.name.clone(), message, errors });
    }

    fn received(&self, message: &Message) {
        if self.bus.is_observed() {
            // Observers are user code on this task: a stop budget that runs out names them.
            self.watch.set(Activity::Observer);
        }
        self.bus.notify(|| MessageEvent::Received {
            by: self.name.clone(),
            kind: message.key().clone(),
            message: message.clone(),
        });
    }

    /// Runs every background task that is due, one at a time; a stop request interrupts.
    async fn run_due_tasks(&mut self) {
        let now = Instant::now();
        for i in 0..self.tasks.len() {
            if self.tasks[i].next.is_none_or(|next| next > now) {
                continue;
            }
            let position = self.tasks[i].position;
            self.watch.set(Activity::BackgroundTask);
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
            if self.tasks[i].dynamic {
                match self.component.try_hooks::<BackgroundTask>() {
                    Ok(hooks) => self.tasks[i].refresh(&hooks),
                    Err(error) => {
                        tracing::error!(component = %self.name, %error, "interval not computed again: the last one stays");
                    }
                }
            }
            self.tasks[i].reschedule(failed, Instant::now());
        }
    }
}

/// A pulled message that no handler took, as the failure its dead letter carries.
fn no_handler<T: Hooks>(why: String) -> HookError {
    HookError::Failed {
        owner: T::NAME,
        method: "on_pull_message".into(),
        hook_type: "OnPullMessage",
        source: hooks_core::BoxError::from(why).into(),
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

    fn poll_next(&mut self, cx: &mut std::task::Context<'_>) -> Poll<Option<Op<T>>> {
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
async fn next_pull(queues: &[(Key, WorkQueue)]) -> Work {
    let receivers = queues.iter().map(|(_, q)| {
        Box::pin(async move {
            match q.rx.lock().await.recv().await {
                Some(message) => message,
                // Closed by its last puller, which is this component, stopping: nothing more.
                None => std::future::pending().await,
            }
        })
    });
    futures_util::future::select_all(receivers).await.0
}

async fn sleep_until(deadline: Option<Instant>) {
    match deadline {
        Some(deadline) => tokio::time::sleep_until(deadline).await,
        None => std::future::pending().await,
    }
}
