//! [`Handle`]: what a caller holds of a component run by a [`Runtime`](crate::Runtime). It sends
//! ops and messages to the component's task and waits for the answers; it never runs user code.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::{Arc, Weak};
use std::time::Duration;

use hooks_core::__private::panic_message;
use hooks_core::{Hooks, LifecycleState, MultiError, StopReason};
use tokio::sync::{mpsc, oneshot, watch};
use tokio::time::Instant;

use super::actor::Watch;
use super::{lock, RuntimeInner};
use crate::bus::{
    Answer, Bus, CallError, CallKind, Delivery, IntoMessage, Message, PendingCall, Rejection, Response, SendError,
};
use crate::context::{Context, StopRequest};
use crate::error::LifecycleError;

/// How long a budgeted stop waits past its budget for the component's task to hand the component
/// back before it cancels the task: the task's own stop hooks time out at the budget, and the
/// task needs a moment to finish after them.
pub(crate) const STOP_GRACE: Duration = Duration::from_millis(50);

/// The handle of a component run by a [`Runtime`](crate::Runtime): drives its lifecycle, hands it
/// back on stop. Cheap to clone; every method takes `&self`.
///
/// Calls that wait for the component (`initialize`, `start`, `stop`, `with`, `command`, `request`)
/// made from one of that component's own hooks would wait for themselves: they return at once
/// with [`LifecycleError::Reentrant`] / [`CallError::Reentrant`] instead.
pub struct Handle<T> {
    pub(super) shared: Arc<Shared<T>>,
}

pub(super) struct Shared<T> {
    pub(super) tx: mpsc::Sender<Op<T>>,
    pub(super) mail: mpsc::Sender<Delivery>,
    pub(super) bus: Arc<Bus>,
    pub(super) state: watch::Receiver<LifecycleState>,
    pub(super) name: Arc<str>,
    pub(super) id: u64,
    pub(super) stop_requested: Arc<StopRequest>,
    pub(super) runtime: Weak<RuntimeInner>,
    /// What the component's task is doing, and the means to cancel it.
    pub(super) watch: Arc<Watch>,
    pub(super) context: Context,
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

pub(super) type Reply<R> = oneshot::Sender<Result<R, LifecycleError>>;

/// A call to a component's task.
pub(super) enum Op<T> {
    Initialize(Reply<()>),
    Start(Reply<()>),
    Stop { reason: StopReason, deadline: Option<Instant>, reply: Reply<T> },
    With(Box<dyn FnOnce(&mut T) + Send>),
}

/// Sends `$delivery` to the mailbox of `$handle` (waiting while it is full) and tells the observers;
/// a closed mailbox hands the message back in a `SendError`. A macro, not an `async fn`, so that the
/// public `async fn`s that send await tokio's `send` directly: a layer of `async fn` in between (and
/// a second one for calls) measurably slows every message and call.
macro_rules! send {
    ($handle:expr, $delivery:expr) => {{
        let handle = $handle;
        let delivery: Delivery = $delivery;
        let observed = handle.shared.bus.observed_send(delivery.message());
        handle.shared.bus.sending(&observed, &handle.shared.name);
        // `try_send` first: when there is room (the common case) it is `send` without its future;
        // the task's budget is spent as `send` would spend it.
        let sent = match handle.shared.mail.try_send(delivery) {
            Ok(()) => {
                tokio::task::consume_budget().await;
                Ok(())
            }
            // Waiting for room in its own mailbox, a hook would wait for itself.
            Err(mpsc::error::TrySendError::Full(delivery)) if handle.in_own_hook() => Err((delivery, Rejection::Full)),
            Err(mpsc::error::TrySendError::Full(delivery)) => {
                handle.shared.mail.send(delivery).await.map_err(|e| (e.0, Rejection::Stopped))
            }
            Err(mpsc::error::TrySendError::Closed(delivery)) => Err((delivery, Rejection::Stopped)),
        };
        match sent {
            Ok(()) => Ok(()),
            Err((delivery, reason)) => {
                handle.shared.bus.refused(&observed, &handle.shared.name);
                Err(handle.rejected(delivery.into_message(), reason))
            }
        }
    }};
}

/// Sends a call of kind `$kind` carrying `$message` to `$handle`'s component and awaits the
/// response (see [`send!`]). Every accepted call is answered: by its handlers, or, when the
/// component drops it unhandled, with the message handed back (`PendingCall`).
macro_rules! call {
    ($handle:expr, $kind:expr, $message:expr) => {{
        let handle = $handle;
        let message: Message = $message;
        if handle.in_own_hook() {
            Err(CallError::Reentrant { component: handle.shared.name.clone(), kind: message.key().clone() })
        } else {
            let (reply, rx) = oneshot::channel();
            match send!(handle, Delivery::Call(PendingCall::new($kind, message, reply))) {
                Ok(()) => match rx.await {
                    Ok(Answer::Done(response)) => response,
                    Ok(Answer::Returned(message)) => {
                        Err(CallError::Rejected(handle.rejected(message, Rejection::Stopped)))
                    }
                    // Taken for handling, then its task was cancelled (a stop past its budget).
                    Err(_) => Err(CallError::Rejected(handle.rejected(Message::default(), Rejection::Stopped))),
                },
                Err(rejected) => Err(CallError::Rejected(rejected)),
            }
        }
    }};
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
    /// From one of the component's own hooks it would wait for itself: it returns at once.
    pub async fn wait_stopped(&self) {
        if self.in_own_hook() {
            tracing::warn!(component = %self.shared.name, "wait_stopped from one of its own hooks returns at once");
            return;
        }
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
    /// once `Running`. On failure: `Failed` after a rollback (the `on_stop` hooks in reverse); what
    /// its mailbox held is handed back (calls answered with their message, messages kept as dead
    /// letters) and nothing of the component runs after the rollback.
    pub async fn start(&self) -> Result<(), LifecycleError> {
        self.call("start", Op::Start).await?;
        // Its subscriptions on the transport (if any) are in effect before this returns.
        if let Some(transport) = self.shared.bus.transport() {
            transport.ready().await;
        }
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

    /// Stops the component: background tasks and spawned tasks are cancelled, the messages it
    /// accepted are handled, then the `on_stop` hooks run in reverse order (all of them, failures
    /// collected); then it is handed back. A second `stop()` is `Err(Gone)`. A stop during start
    /// waits for start to finish.
    pub async fn stop(&self) -> Result<T, LifecycleError> {
        self.stop_with(StopReason::Requested, None).await
    }

    /// [`stop`](Self::stop) within a budget. The stop's own work (handling what the mailbox
    /// holds, the `on_state_change` and `on_stop` hooks) runs with each async hook capped at what
    /// is left of the budget: an overrunning stop hook is cancelled and reported by name as
    /// `HookError::TimedOut`, and the other stop hooks still run. If the component still has not
    /// stopped when the budget (plus a 50 ms grace) is spent (a command handler or `on_start`
    /// hook that never returns, a plain `fn` hook that blocks), its task is cancelled and
    /// [`LifecycleError::TimedOut`] names what was still running; the component is then dropped,
    /// not handed back, and the calls in its mailbox get their messages back.
    ///
    /// The `on_stop` hooks get `StopReason::Requested`, or `StopReason::TimedOut` when nothing is
    /// left of the budget by the time they begin.
    pub async fn stop_with_timeout(&self, budget: Duration) -> Result<T, LifecycleError> {
        self.stop_with(StopReason::Requested, Some(budget)).await
    }

    pub(super) async fn stop_with(&self, reason: StopReason, budget: Option<Duration>) -> Result<T, LifecycleError> {
        if self.in_own_hook() {
            return Err(self.reentrant("stop"));
        }
        let deadline = budget.map(|budget| Instant::now() + budget);
        let (reply, mut rx) = oneshot::channel();
        let op = Op::Stop { reason, deadline, reply };
        let result = match (deadline, budget) {
            (Some(deadline), Some(budget)) => {
                let limit = deadline + STOP_GRACE;
                let sent = tokio::time::timeout_at(limit, self.shared.tx.send(op)).await;
                // Interrupts a background task in progress; the stop op is queued by now.
                self.shared.stop_requested.raise();
                match sent {
                    Ok(Err(_)) => Err(self.gone("stop")),
                    Ok(Ok(())) => match tokio::time::timeout_at(limit, &mut rx).await {
                        Ok(answer) => answer.unwrap_or_else(|_| Err(self.gone("stop"))),
                        Err(_) => self.expire(budget, rx),
                    },
                    Err(_) => self.expire(budget, rx),
                }
            }
            _ => {
                let sent = self.shared.tx.send(op).await;
                self.shared.stop_requested.raise();
                match sent {
                    Err(_) => Err(self.gone("stop")),
                    Ok(()) => rx.await.unwrap_or_else(|_| Err(self.gone("stop"))),
                }
            }
        };
        // Handed back (or gone): the runtime lets go of it.
        if let Some(rt) = self.shared.runtime.upgrade() {
            lock(&rt.components).entries.remove(&self.shared.id);
        }
        result
    }

    /// The budget of a stop is spent: names what is still running and cancels the component's
    /// task (unless it answered in the meantime).
    #[cold]
    fn expire(
        &self,
        budget: Duration,
        mut rx: oneshot::Receiver<Result<T, LifecycleError>>,
    ) -> Result<T, LifecycleError> {
        let watch = &self.shared.watch;
        let running = watch.running_hook::<T>(budget);
        watch.cancel();
        self.shared.context.cancel_now();
        if let Ok(answer) = rx.try_recv() {
            return answer;
        }
        Err(LifecycleError::TimedOut {
            component: self.shared.name.clone(),
            op: "stop",
            budget,
            errors: Arc::new(MultiError::from(running)),
        })
    }

    /// Delivers `message` (a contract's value, or a `Message`) to this component's `on_message`
    /// handlers for its type, waiting while the mailbox is full. Accepted messages are handled
    /// exactly once, even when a stop follows; once stop has begun the message is handed back in
    /// the error (a contract's value: [`SendError::into_payload`]).
    pub async fn publish<M: IntoMessage>(&self, message: M) -> Result<(), SendError> {
        send!(self, Delivery::Message(message.into_message()))
    }

    /// [`publish`](Self::publish) without waiting: a full mailbox hands the message back too.
    pub fn try_publish<M: IntoMessage>(&self, message: M) -> Result<(), SendError> {
        let message = message.into_message();
        let observed = self.shared.bus.observed_send(&message);
        self.shared.bus.sending(&observed, &self.shared.name);
        self.shared.mail.try_send(Delivery::Message(message)).map_err(|e| {
            let (delivery, reason) = match e {
                mpsc::error::TrySendError::Full(d) => (d, Rejection::Full),
                mpsc::error::TrySendError::Closed(d) => (d, Rejection::Stopped),
            };
            self.shared.bus.refused(&observed, &self.shared.name);
            self.rejected(delivery.into_message(), reason)
        })
    }

    /// Delivers `message` to this component's `on_pull_message` handlers.
    pub async fn push<M: IntoMessage>(&self, message: M) -> Result<(), SendError> {
        send!(self, Delivery::Pull(message.into_message()))
    }

    /// Sends a command and waits for the response: what the `on_command` handler returned. No
    /// handler, or a failing one, is an error, never silence.
    ///
    /// The response's type is the message's: a contract's reply (`handle.command(Count)` is a
    /// `Result<u32, CallError>` for `#[message(reply = u32)] struct Count;`), or a [`Response`]
    /// to downcast for an untyped `Message`.
    pub async fn command<M: IntoMessage>(&self, message: M) -> Result<M::Reply, CallError> {
        let response = call!(self, CallKind::Command, message.into_message())?;
        M::reply(response, &self.shared.name)
    }

    /// Sends a request and waits for the reply (`on_request` handlers); typed as for
    /// [`command`](Self::command).
    pub async fn request<M: IntoMessage>(&self, message: M) -> Result<M::Reply, CallError> {
        let response = call!(self, CallKind::Request, message.into_message())?;
        M::reply(response, &self.shared.name)
    }

    /// [`request`](Self::request), giving up after `timeout` (`CallError::TimedOut`).
    pub async fn request_with_timeout<M: IntoMessage>(
        &self,
        message: M,
        timeout: Duration,
    ) -> Result<M::Reply, CallError> {
        let message = message.into_message();
        let kind = message.key().clone();
        let response = tokio::time::timeout(timeout, self.call_with(CallKind::Request, message))
            .await
            .unwrap_or_else(|_| Err(CallError::TimedOut { component: self.shared.name.clone(), kind, timeout }))?;
        M::reply(response, &self.shared.name)
    }

    async fn call_with(&self, kind: CallKind, message: Message) -> Result<Response, CallError> {
        call!(self, kind, message)
    }

    fn rejected(&self, message: Message, reason: Rejection) -> SendError {
        SendError { component: self.shared.name.clone(), message, reason }
    }

    /// Runs `f` on the component between two hooks, and returns what it returns. When the
    /// component is running, `f` sees every message accepted before this call (and it returns
    /// after those, however fast new ones arrive). A panic in `f` is caught and returned as
    /// [`LifecycleError::Panicked`]; the component goes on.
    pub async fn with<R: Send + 'static>(
        &self,
        f: impl FnOnce(&mut T) -> R + Send + 'static,
    ) -> Result<R, LifecycleError> {
        if self.in_own_hook() {
            return Err(self.reentrant("inspect"));
        }
        let (reply, rx) = oneshot::channel();
        let op = Op::With(Box::new(move |c: &mut T| {
            let _ = reply.send(catch_unwind(AssertUnwindSafe(|| f(c))).map_err(|payload| panic_message(&*payload)));
        }));
        if self.shared.tx.send(op).await.is_err() {
            return Err(self.gone("inspect"));
        }
        match rx.await {
            Ok(Ok(value)) => Ok(value),
            Ok(Err(message)) => {
                Err(LifecycleError::Panicked { component: self.shared.name.clone(), op: "inspect", message })
            }
            Err(_) => Err(self.gone("inspect")),
        }
    }

    async fn call(&self, op: &'static str, make: fn(Reply<()>) -> Op<T>) -> Result<(), LifecycleError> {
        if self.in_own_hook() {
            return Err(self.reentrant(op));
        }
        let (reply, rx) = oneshot::channel();
        if self.shared.tx.send(make(reply)).await.is_err() {
            return Err(self.gone(op));
        }
        rx.await.unwrap_or_else(|_| Err(self.gone(op)))
    }

    /// Whether this runs inside one of the component's own hooks (on its task).
    fn in_own_hook(&self) -> bool {
        Context::current_is(&self.shared.stop_requested)
    }

    fn reentrant(&self, op: &'static str) -> LifecycleError {
        LifecycleError::Reentrant { component: self.shared.name.clone(), op }
    }

    fn gone(&self, op: &'static str) -> LifecycleError {
        LifecycleError::Gone { component: self.shared.name.clone(), op }
    }
}
