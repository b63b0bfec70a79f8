//! The in-process message bus of a [`Runtime`](crate::Runtime): subscriptions, work queues,
//! observers and dead letters.
//!
//! A message type is a message contract ([`Contract`], `#[derive(Message)]`: routed by its type,
//! typed at the handler and the call site) or a dynamic value routed by its `Debug` text (an
//! untyped [`Message`](struct@Message)); every call site takes either ([`IntoMessage`]), and the rules below are
//! the same for both.
//!
//! - `on_message(types..)`: publish/subscribe. `Runtime::publish` (and `Context::publish` from a
//!   hook) delivers a message to every running component with a handler for its type;
//!   `Handle::publish` delivers to one component.
//! - `on_command(types..)` / `on_request(types..)`: `Handle::command` / `Handle::request` await the
//!   response, which is what the handler returned; no handler, or a failing one, is an error
//!   response, never silence.
//! - `on_pull_message(types..)`: `Runtime::push` puts work on the queue of its type; each message
//!   goes to exactly one puller. A message whose handler fails is kept as a dead letter
//!   (`Runtime::dead_letters`, the last [`DEAD_LETTERS`] of them), never silently dropped.
//!
//! Every component has one bounded mailbox ([`MAILBOX`] messages): a sender waits while it is
//! full (backpressure). Messages sent before the component is `Running` wait there and are
//! delivered, in order, once it is. When stop begins the mailbox closes (a later send fails and
//! hands the message back) and what it holds is handled before the `on_stop` hooks run.

mod contract;
mod message;
mod remote;
pub(crate) mod route;
mod routes;
mod transport;

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::{Arc, Mutex, OnceLock, PoisonError, RwLock};

use hooks_core::{HookError, Key, MultiError};
use tokio::sync::{mpsc, oneshot};

pub use contract::{Contract, ContractOf, IntoMessage};
pub use message::{Call, IntoResponse, Message, OnCommand, OnMessage, OnPullMessage, OnRequest, Response};
#[cfg(feature = "serde")]
pub use remote::{remote_contracts, RemoteContract, RemoteContractInfo};
pub(crate) use routes::KeyMap;
pub(crate) use routes::Routes;
#[cfg(feature = "nats")]
pub(crate) use transport::BoxFuture;
pub use transport::TransportError;
pub(crate) use transport::{Interest, Transport};

/// How many messages a component's mailbox, and a work queue, hold before senders wait.
pub const MAILBOX: usize = 1024;

/// How many dead letters a runtime keeps (the oldest are dropped first, with a warning).
pub const DEAD_LETTERS: usize = 1024;

/// What a component's mailbox carries.
pub(crate) enum Delivery {
    Message(Message),
    Call(PendingCall),
    Pull(Message),
}

impl Delivery {
    /// The message.
    pub(crate) fn message(&self) -> &Message {
        match self {
            Delivery::Message(m) | Delivery::Pull(m) => m,
            Delivery::Call(call) => call.message(),
        }
    }

    /// The message, taken back from a delivery that could not be sent.
    pub(crate) fn into_message(self) -> Message {
        match self {
            Delivery::Message(m) | Delivery::Pull(m) => m,
            Delivery::Call(mut call) => call.take().map(|(_, m, _)| m).unwrap_or_default(),
        }
    }
}

/// Publishes `message` in the process and, when the transport carries its type, to the other
/// processes (a failure there is logged).
pub(crate) async fn publish_everywhere(bus: &Bus, message: Message) -> usize {
    match bus.carrier(message.key()) {
        None => bus.publish(message).await,
        Some(transport) => {
            let accepted = bus.publish(message.clone()).await;
            if let Err(error) = transport.publish(message).await {
                tracing::error!(%error, "a message was not sent to the other processes");
            }
            accepted
        }
    }
}

/// [`publish_everywhere`], the transport's failure returned.
pub(crate) async fn publish_checked(bus: &Bus, message: Message) -> Result<usize, TransportError> {
    match bus.carrier(message.key()) {
        None => Ok(bus.publish(message).await),
        Some(transport) => {
            let accepted = bus.publish(message.clone()).await;
            transport.publish(message).await.map(|()| accepted)
        }
    }
}

/// Why a call in this process got no answer.
pub(crate) enum LocalCall {
    /// No running component of this process answers its type: the message back.
    NoTarget(Message),
    /// The call's error.
    Failed(CallError),
}

/// How a component answers a call: its handlers' response, or the message handed back unhandled.
pub(crate) enum Answer {
    Done(Result<Response, CallError>),
    Returned(Message),
}

/// A call in a mailbox. Whatever happens to it, its caller hears back: it is answered when
/// handled, and dropped unhandled (a component that failed to start, a stop cancelled past its
/// budget, a send that did not go through) it hands its message back to the caller.
pub(crate) struct PendingCall {
    kind: CallKind,
    /// `None` once taken for handling.
    message: Option<Message>,
    reply: Option<oneshot::Sender<Answer>>,
}

impl PendingCall {
    #[inline]
    pub(crate) fn new(kind: CallKind, message: Message, reply: oneshot::Sender<Answer>) -> Self {
        PendingCall { kind, message: Some(message), reply: Some(reply) }
    }

    #[inline]
    pub(crate) fn message(&self) -> &Message {
        // Only taken by `take`, which consumes the call's use.
        static NONE: std::sync::OnceLock<Message> = std::sync::OnceLock::new();
        self.message.as_ref().unwrap_or_else(|| NONE.get_or_init(Message::default))
    }

    /// The call's parts, to handle it; its reply is then the handler's business.
    #[inline]
    pub(crate) fn take(&mut self) -> Option<(CallKind, Message, oneshot::Sender<Answer>)> {
        Some((self.kind, self.message.take()?, self.reply.take()?))
    }
}

impl Drop for PendingCall {
    fn drop(&mut self) {
        if let (Some(message), Some(reply)) = (self.message.take(), self.reply.take()) {
            let _ = reply.send(Answer::Returned(message));
        }
    }
}

/// Which hooks a call goes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CallKind {
    Command,
    Request,
}

/// A send that was not accepted. Carries the message back.
#[derive(Debug, thiserror::Error)]
#[error("`{component}` did not accept message {:?}: {reason}", message.key())]
pub struct SendError {
    /// The component's name (`"queue"` for a work queue).
    pub component: Arc<str>,
    /// The message, handed back.
    pub message: Message,
    /// Why it was not accepted.
    pub reason: Rejection,
}

/// Why a send was not accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Rejection {
    /// The component is stopping or stopped (or failed to start, or its stop ran out of budget
    /// before it handled the message).
    #[error("it is stopping or stopped")]
    Stopped,
    /// Its mailbox is full (`try_publish`), or a hook sent to its own full mailbox, which would
    /// wait for itself.
    #[error("its mailbox is full")]
    Full,
    /// No running component pulls messages of this type: the work would have nowhere to go.
    #[error("no running component has an `on_pull_message` handler for it")]
    NoPuller,
    /// The transport between processes could not take it (the server is unreachable, or the
    /// message does not encode; the log says which).
    #[error("the transport between processes could not take it")]
    Unavailable,
}

impl SendError {
    /// The message that was not accepted.
    pub fn into_message(self) -> Message {
        self.message
    }

    /// The value that was sent, when it is a `P` (a contract's value, or an untyped message's
    /// payload) and nothing else holds a copy of the message (an observer that kept one); else the
    /// error back, whose `message` still lends it (`message.payload::<P>()`).
    ///
    /// ```
    /// use hooks_runtime::prelude::*;
    /// use hooks_runtime::SendError;
    ///
    /// #[derive(Message, Debug, PartialEq)]
    /// struct Job { id: u32 }
    ///
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let runtime = Runtime::new();
    /// let refused: SendError = runtime.push(Job { id: 7 }).await.unwrap_err(); // nobody pulls `Job`
    /// assert_eq!(refused.into_payload::<Job>().ok(), Some(Job { id: 7 }));
    /// # }
    /// ```
    pub fn into_payload<P: std::any::Any + Send + Sync>(self) -> Result<P, SendError> {
        let SendError { component, message, reason } = self;
        message.into_payload().map_err(|message| SendError { component, message, reason })
    }
}

/// Why a command or request got no response.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CallError {
    /// The component has no handler for the message's type.
    #[error("`{component}` has no handler for {kind:?}")]
    NoHandler {
        /// The component's name.
        component: Arc<str>,
        /// The message type.
        kind: Key,
    },
    /// A handler failed or panicked (every failure, attributed).
    #[error("`{component}` failed to handle {kind:?}: {errors}")]
    Failed {
        /// The component's name.
        component: Arc<str>,
        /// The message type.
        kind: Key,
        /// The failures, in execution order.
        errors: MultiError,
    },
    /// The component is stopping or stopped: the call was not accepted.
    #[error(transparent)]
    Rejected(#[from] SendError),
    /// A hook called its own component: the call would wait for the hook that makes it.
    #[error("`{component}` cannot call itself from one of its own hooks (it would wait for itself); call the handler method directly")]
    Reentrant {
        /// The component's name.
        component: Arc<str>,
        /// The message type.
        kind: Key,
    },
    /// A handler attached at run time answered a contract's command or request with a value of
    /// another type than its reply (handlers declared with `#[hooks]` are checked at compile time).
    #[error("`{component}` answered {kind:?} with a `{found}`, not the `{expected}` its contract replies with")]
    WrongReply {
        /// The component's name.
        component: Arc<str>,
        /// The message type.
        kind: Key,
        /// The contract's reply type.
        expected: &'static str,
        /// The type of the value the handler gave.
        found: &'static str,
    },
    /// No response within the timeout (`Handle::request_with_timeout`).
    #[error("`{component}` did not answer {kind:?} within {timeout:?}")]
    TimedOut {
        /// The component's name.
        component: Arc<str>,
        /// The message type.
        kind: Key,
        /// The budget.
        timeout: std::time::Duration,
    },
    /// The call went to another process and the transport failed: the server is unreachable, or
    /// the call or its reply did not decode (see [`TransportError`]).
    #[error(transparent)]
    Transport(TransportError),
}

impl CallError {
    /// The hook failures behind this error (empty when none).
    pub fn errors(&self) -> &[HookError] {
        match self {
            CallError::Failed { errors, .. } => errors.errors(),
            _ => &[],
        }
    }
}

/// A message seen by the bus: sent to a component, or received by it. See `Runtime::observe`.
///
/// Each event carries the message itself (shared, not copied). `Sent` is reported before the
/// message enters the mailbox, so it always comes before the `Received` of the same message, also
/// on a multi-threaded runtime; a send that is then refused is followed by `Refused`.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum MessageEvent {
    /// A message is being put into `to`'s mailbox (or a work queue, `to` = `"queue"`).
    Sent {
        /// The receiving component (or `"queue"`).
        to: Arc<str>,
        /// The message type.
        kind: Key,
        /// The message.
        message: Message,
        /// The component whose hook sent it; `None` when it came from outside every component
        /// (the runtime, or a handle used by other code).
        from: Option<Arc<str>>,
    },
    /// The send reported by the `Sent` before it was not accepted (the component is stopping).
    Refused {
        /// The component (or `"queue"`).
        to: Arc<str>,
        /// The message type.
        kind: Key,
        /// The message, as handed back to the sender.
        message: Message,
        /// As in `Sent`.
        from: Option<Arc<str>>,
    },
    /// `by` took the message from its mailbox and is about to run its handlers.
    Received {
        /// The handling component.
        by: Arc<str>,
        /// The message type.
        kind: Key,
        /// The message.
        message: Message,
    },
    /// A message from another process that does not decode as its contract says (feature
    /// `nats`): it is not delivered; the component it was for goes on.
    Undecodable {
        /// The contract's name.
        contract: &'static str,
        /// The subject it came on.
        subject: String,
        /// Who sent it (its transport's name).
        sender: String,
        /// The codec's error.
        error: String,
    },
}

/// A send that someone observes: the message (a shared copy) and who sends it, taken before the
/// message moves into a mailbox. Nothing is copied when nobody observes.
pub(crate) struct Observed {
    message: Message,
    from: Option<Arc<str>>,
}

type Observer = Arc<dyn Fn(&MessageEvent) + Send + Sync>;

/// A message whose pull handler failed, with the failures.
#[derive(Debug)]
pub struct DeadLetter {
    /// The component whose handler failed.
    pub component: Arc<str>,
    /// The message.
    pub message: Message,
    /// What failed.
    pub errors: MultiError,
}

/// A pulled message, and who hears whether its handler succeeded (a transport that acknowledges
/// work only once it is done: JetStream). Dropped unhandled, it tells `Err`.
pub(crate) struct Work {
    pub(crate) message: Message,
    pub(crate) done: Option<oneshot::Sender<bool>>,
}

impl Work {
    pub(crate) fn new(message: Message) -> Self {
        Work { message, done: None }
    }
}

/// A work queue: the running components that pull its type share the receiver; each message is
/// received once. It exists only while it has pullers (see [`Bus::join_queue`]).
#[derive(Clone)]
pub(crate) struct WorkQueue {
    tx: mpsc::Sender<Work>,
    pub(crate) rx: Arc<tokio::sync::Mutex<mpsc::Receiver<Work>>>,
}

impl WorkQueue {
    /// Closes the queue and takes what is in it, also what a push that was accepted before the
    /// close is still writing (so nothing accepted is stranded).
    pub(crate) async fn close_and_drain(&self) -> Vec<Work> {
        let mut rx = self.rx.lock().await;
        rx.close();
        let mut left = Vec::new();
        while let Some(message) = rx.recv().await {
            left.push(message);
        }
        left
    }
}

/// A work queue and how many running components pull from it.
struct Queue {
    queue: WorkQueue,
    pullers: usize,
}

/// The running components with a command or request handler for a type, by id.
#[derive(Default)]
struct Callers {
    command: BTreeMap<u64, Subscriber>,
    request: BTreeMap<u64, Subscriber>,
}

/// The bus of one runtime.
#[derive(Default)]
pub(crate) struct Bus {
    /// The transport to other processes, if the runtime was made with one.
    transport: OnceLock<Arc<dyn Transport>>,
    /// Message type → components with a command or request handler for it.
    callers: RwLock<KeyMap<Callers>>,
    /// The keys of `callers` each component registered.
    callers_by_component: Mutex<HashMap<u64, Vec<Key>>>,
    /// Message type → subscribed components' mailboxes, by component id.
    subscribers: RwLock<Subscribers>,
    queues: Mutex<KeyMap<Queue>>,
    observers: RwLock<Vec<Observer>>,
    /// Whether any observer was added (checked before building an event).
    observed: std::sync::atomic::AtomicBool,
    dead_letters: Mutex<VecDeque<DeadLetter>>,
}

/// A subscribed component's name (for `Sent` events) and mailbox.
type Subscriber = (Arc<str>, mpsc::Sender<Delivery>);

#[derive(Default)]
struct Subscribers {
    by_key: KeyMap<Subscription>,
    /// The keys each component subscribed to, so that unsubscribing touches only those.
    by_component: HashMap<u64, Vec<Key>>,
}

/// The message for the next subscriber of a publish: a copy, or for the last one the message itself.
fn next_copy(message: &mut Option<Message>, last: bool) -> Option<Message> {
    if last {
        message.take()
    } else {
        message.clone()
    }
}

/// The subscribers of one message type.
#[derive(Default)]
struct Subscription {
    /// By component id.
    by_id: BTreeMap<u64, Subscriber>,
    /// The same subscribers in the same order, shared with publishers (one reference count per
    /// publish instead of a `Vec` and a sender clone per subscriber); rebuilt on each change.
    targets: Arc<[Subscriber]>,
}

impl Subscription {
    fn changed(&mut self) {
        self.targets = self.by_id.values().cloned().collect();
    }
}

impl Bus {
    /// Makes `keys` the message types component `id` is subscribed to, in one step (no message
    /// of a type it keeps is missed while it changes).
    pub(crate) fn resubscribe<'k>(
        &self,
        id: u64,
        keys: impl Iterator<Item = &'k Key>,
        name: &Arc<str>,
        mailbox: &mpsc::Sender<Delivery>,
    ) {
        let mut subs = self.subscribers.write().unwrap_or_else(PoisonError::into_inner);
        let keys: Vec<Key> = keys.cloned().collect();
        for old in subs.by_component.remove(&id).unwrap_or_default() {
            if keys.contains(&old) {
                continue;
            }
            if let Some(subscription) = subs.by_key.get_mut(&old) {
                subscription.by_id.remove(&id);
                if subscription.by_id.is_empty() {
                    subs.by_key.remove(&old);
                    self.interest(Interest::Message, &old, false);
                } else {
                    subscription.changed();
                }
            }
        }
        for key in &keys {
            if !subs.by_key.contains_key(key) {
                self.interest(Interest::Message, key, true);
            }
            let subscription = subs.by_key.entry(key.clone()).or_default();
            subscription.by_id.insert(id, (name.clone(), mailbox.clone()));
            subscription.changed();
        }
        subs.by_component.insert(id, keys);
    }

    pub(crate) fn unsubscribe(&self, id: u64) {
        let mut subs = self.subscribers.write().unwrap_or_else(PoisonError::into_inner);
        for key in subs.by_component.remove(&id).unwrap_or_default() {
            if let Some(subscription) = subs.by_key.get_mut(&key) {
                subscription.by_id.remove(&id);
                if subscription.by_id.is_empty() {
                    subs.by_key.remove(&key);
                    self.interest(Interest::Message, &key, false);
                } else {
                    subscription.changed();
                }
            }
        }
    }

    /// Delivers `message` to every subscriber of its type that still accepts messages (in
    /// component order, waiting while a mailbox is full), with a `Sent` event for each; returns
    /// how many accepted it.
    pub(crate) async fn publish(&self, message: Message) -> usize {
        if self.is_observed() {
            return self.publish_observed(message).await;
        }
        let mut message = Some(message);
        let mut accepted = 0;
        // First without waiting: under the read lock, each subscriber in turn with `try_send` (no
        // send future, no copy of the subscriber list), until a mailbox is full.
        let full = {
            let subs = self.subscribers.read().unwrap_or_else(PoisonError::into_inner);
            let Some(subscription) = message.as_ref().and_then(|m| subs.by_key.get(m.key())) else { return 0 };
            let targets = &subscription.targets;
            let mut full = None;
            for (i, (_, target)) in targets.iter().enumerate() {
                let Some(copy) = next_copy(&mut message, i + 1 == targets.len()) else { break };
                match target.try_send(Delivery::Message(copy)) {
                    Ok(()) => accepted += 1,
                    Err(mpsc::error::TrySendError::Closed(_)) => {}
                    Err(mpsc::error::TrySendError::Full(delivery)) => {
                        full = Some((targets.clone(), i, delivery));
                        break;
                    }
                }
            }
            full
        };
        match full {
            // Spent as `send` would spend the task's budget.
            None => tokio::task::consume_budget().await,
            // From the full one on, outside the lock: each waits for room.
            Some((targets, i, delivery)) => {
                if targets[i].1.send(delivery).await.is_ok() {
                    accepted += 1;
                }
                for (j, (_, target)) in targets.iter().enumerate().skip(i + 1) {
                    let Some(copy) = next_copy(&mut message, j + 1 == targets.len()) else { break };
                    if target.send(Delivery::Message(copy)).await.is_ok() {
                        accepted += 1;
                    }
                }
            }
        }
        accepted
    }

    /// [`publish`](Self::publish) while someone observes: every event is told outside the lock
    /// (an observer may publish), `Sent` before the message goes in.
    async fn publish_observed(&self, message: Message) -> usize {
        let targets = {
            let subs = self.subscribers.read().unwrap_or_else(PoisonError::into_inner);
            match subs.by_key.get(message.key()) {
                Some(subscription) => subscription.targets.clone(),
                None => return 0,
            }
        };
        let observed = self.observed_send(&message);
        let mut accepted = 0;
        for (name, target) in targets.iter() {
            self.sending(&observed, name);
            match target.send(Delivery::Message(message.clone())).await {
                Ok(()) => accepted += 1,
                Err(_) => self.refused(&observed, name),
            }
        }
        accepted
    }

    /// A component that starts pulling `key`: the queue of that type, made by its first puller.
    pub(crate) fn join_queue(&self, key: &Key) -> WorkQueue {
        let mut queues = self.queues.lock().unwrap_or_else(PoisonError::into_inner);
        let entry = queues.entry(key.clone()).or_insert_with(|| {
            self.interest(Interest::Pull, key, true);
            let (tx, rx) = mpsc::channel(MAILBOX);
            Queue { queue: WorkQueue { tx, rx: Arc::new(tokio::sync::Mutex::new(rx)) }, pullers: 0 }
        });
        entry.pullers += 1;
        entry.queue.clone()
    }

    /// A component that stops pulling `key`. The last puller gets the queue back, removed from the
    /// bus: it closes it and handles what is left ([`WorkQueue::close_and_drain`]); a push from
    /// then on is refused with [`Rejection::NoPuller`].
    pub(crate) fn leave_queue(&self, key: &Key) -> Option<WorkQueue> {
        let mut queues = self.queues.lock().unwrap_or_else(PoisonError::into_inner);
        let entry = queues.get_mut(key)?;
        entry.pullers = entry.pullers.saturating_sub(1);
        if entry.pullers > 0 {
            return None;
        }
        self.interest(Interest::Pull, key, false);
        queues.remove(key).map(|q| q.queue)
    }

    /// Puts `message` on the queue of its type: the transport's when it carries the type (shared
    /// by the pullers of every process), else this process's.
    pub(crate) async fn push(&self, message: Message) -> Result<(), SendError> {
        match self.carrier(message.key()) {
            Some(transport) => transport.push(message).await,
            None => self.push_local(Work::new(message)).await,
        }
    }

    /// Puts `work` on this process's queue of its type, waiting while it is full; refused (the
    /// message handed back) when no running component pulls that type, or when the last one
    /// stopped before the message got in.
    pub(crate) async fn push_local(&self, work: Work) -> Result<(), SendError> {
        let refused = |work: Work, reason| SendError { component: "queue".into(), message: work.message, reason };
        let tx = {
            let queues = self.queues.lock().unwrap_or_else(PoisonError::into_inner);
            match queues.get(work.message.key()) {
                Some(q) => q.queue.tx.clone(),
                None => return Err(refused(work, Rejection::NoPuller)),
            }
        };
        let observed = self.observed_send(&work.message);
        let queue: Arc<str> = Arc::from("queue");
        self.sending(&observed, &queue);
        tx.send(work).await.map_err(|e| {
            self.refused(&observed, &queue);
            refused(e.0, Rejection::NoPuller)
        })
    }

    /// Makes `transport` this bus's way to other processes; `false` if it had one.
    #[cfg(feature = "nats")]
    pub(crate) fn set_transport(&self, transport: Arc<dyn Transport>) -> bool {
        self.transport.set(transport).is_ok()
    }

    /// The transport, if any.
    #[inline]
    pub(crate) fn transport(&self) -> Option<&Arc<dyn Transport>> {
        self.transport.get()
    }

    /// The transport, if it carries messages of `key`.
    #[inline]
    pub(crate) fn carrier(&self, key: &Key) -> Option<&Arc<dyn Transport>> {
        self.transport.get().filter(|t| t.carries(key))
    }

    /// Tells the transport (if it carries `key`) that local interest in it began or ended.
    #[inline]
    fn interest(&self, interest: Interest, key: &Key, on: bool) {
        if let Some(transport) = self.carrier(key) {
            transport.interest(interest, key, on);
        }
    }

    /// Makes `command` and `request` the keys component `id` answers calls of.
    pub(crate) fn register_calls<'k>(
        &self,
        id: u64,
        command: impl Iterator<Item = &'k Key>,
        request: impl Iterator<Item = &'k Key>,
        name: &Arc<str>,
        mailbox: &mpsc::Sender<Delivery>,
    ) {
        self.unregister_calls(id);
        let mut callers = self.callers.write().unwrap_or_else(PoisonError::into_inner);
        let mut keys = Vec::new();
        for (kind, key) in command.map(|k| (CallKind::Command, k)).chain(request.map(|k| (CallKind::Request, k))) {
            let entry = callers.entry(key.clone()).or_default();
            let table = match kind {
                CallKind::Command => &mut entry.command,
                CallKind::Request => &mut entry.request,
            };
            if table.is_empty() {
                self.interest(Interest::of(kind), key, true);
            }
            table.insert(id, (name.clone(), mailbox.clone()));
            keys.push(key.clone());
        }
        if !keys.is_empty() {
            self.callers_by_component.lock().unwrap_or_else(PoisonError::into_inner).insert(id, keys);
        }
    }

    /// Component `id` answers no call any more.
    pub(crate) fn unregister_calls(&self, id: u64) {
        let Some(keys) = self.callers_by_component.lock().unwrap_or_else(PoisonError::into_inner).remove(&id) else {
            return;
        };
        let mut callers = self.callers.write().unwrap_or_else(PoisonError::into_inner);
        for key in keys {
            let Some(entry) = callers.get_mut(&key) else { continue };
            for (kind, table) in [(CallKind::Command, &mut entry.command), (CallKind::Request, &mut entry.request)] {
                if table.remove(&id).is_some() && table.is_empty() {
                    self.interest(Interest::of(kind), &key, false);
                }
            }
            if entry.command.is_empty() && entry.request.is_empty() {
                callers.remove(&key);
            }
        }
    }

    /// A command or request to whichever component answers its type: a running component of
    /// this process when there is one (the first spawned), else, for a type the transport
    /// carries, one of another process. Gives the answering component's name and its response.
    pub(crate) async fn call(&self, kind: CallKind, message: Message) -> Result<(Arc<str>, Response), CallError> {
        match self.call_local(kind, message).await {
            Ok(answer) => Ok(answer),
            Err(LocalCall::Failed(error)) => Err(error),
            Err(LocalCall::NoTarget(message)) => match self.carrier(message.key()) {
                Some(transport) => transport.call(kind, message).await,
                None => Err(CallError::NoHandler { component: Arc::from("runtime"), kind: message.key().clone() }),
            },
        }
    }

    /// A call to a component of this process only (what a transport hands in).
    pub(crate) async fn call_local(&self, kind: CallKind, message: Message) -> Result<(Arc<str>, Response), LocalCall> {
        let target = {
            let callers = self.callers.read().unwrap_or_else(PoisonError::into_inner);
            callers.get(message.key()).and_then(|entry| {
                let table = match kind {
                    CallKind::Command => &entry.command,
                    CallKind::Request => &entry.request,
                };
                table.iter().next().map(|(id, (name, mailbox))| (*id, name.clone(), mailbox.clone()))
            })
        };
        let Some((id, name, mailbox)) = target else { return Err(LocalCall::NoTarget(message)) };
        if crate::context::Context::current_id() == Some(id) {
            return Err(LocalCall::Failed(CallError::Reentrant { component: name, kind: message.key().clone() }));
        }
        let refused = |name: &Arc<str>, message| {
            LocalCall::Failed(CallError::Rejected(SendError {
                component: name.clone(),
                message,
                reason: Rejection::Stopped,
            }))
        };
        let observed = self.observed_send(&message);
        self.sending(&observed, &name);
        let (reply, rx) = oneshot::channel();
        if let Err(e) = mailbox.send(Delivery::Call(PendingCall::new(kind, message, reply))).await {
            self.refused(&observed, &name);
            return Err(refused(&name, e.0.into_message()));
        }
        match rx.await {
            Ok(Answer::Done(Ok(response))) => Ok((name, response)),
            Ok(Answer::Done(Err(error))) => Err(LocalCall::Failed(error)),
            Ok(Answer::Returned(message)) => Err(refused(&name, message)),
            Err(_) => Err(refused(&name, Message::default())),
        }
    }

    pub(crate) fn observe(&self, observer: Observer) {
        self.observers.write().unwrap_or_else(PoisonError::into_inner).push(observer);
        self.observed.store(true, std::sync::atomic::Ordering::Release);
    }

    /// Whether anyone observes.
    #[inline]
    pub(crate) fn is_observed(&self) -> bool {
        self.observed.load(std::sync::atomic::Ordering::Acquire)
    }

    /// A message about to be sent, kept to report the send if anyone observes (taken before the
    /// message moves into a mailbox; nothing is copied when nobody observes).
    #[inline]
    pub(crate) fn observed_send(&self, message: &Message) -> Option<Observed> {
        self.is_observed().then(|| Observed { message: message.clone(), from: crate::context::Context::current_name() })
    }

    /// Reports that an observed send to `to` is being made (before the message goes in).
    #[inline]
    pub(crate) fn sending(&self, observed: &Option<Observed>, to: &Arc<str>) {
        if let Some(o) = observed {
            self.notify(|| MessageEvent::Sent {
                to: to.clone(),
                kind: o.message.key().clone(),
                message: o.message.clone(),
                from: o.from.clone(),
            });
        }
    }

    /// Reports that an observed send to `to` was refused.
    #[cold]
    pub(crate) fn refused(&self, observed: &Option<Observed>, to: &Arc<str>) {
        if let Some(o) = observed {
            self.notify(|| MessageEvent::Refused {
                to: to.clone(),
                kind: o.message.key().clone(),
                message: o.message.clone(),
                from: o.from.clone(),
            });
        }
    }

    /// Tells the observers; the event is built only when there are any (the common case has none).
    #[inline]
    pub(crate) fn notify(&self, event: impl FnOnce() -> MessageEvent) {
        if !self.is_observed() {
            return;
        }
        let event = event();
        let observers = self.observers.read().unwrap_or_else(PoisonError::into_inner);
        for observer in observers.iter() {
            // User code on a component's task (or a sender's): a panic is reported, and the
            // message is still handled.
            if let Err(payload) = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| observer(&event))) {
                tracing::error!(event = ?event, panic = %hooks_core::__private::panic_message(&*payload), "message observer panicked");
            }
        }
    }

    pub(crate) fn dead_letter(&self, letter: DeadLetter) {
        tracing::warn!(component = %letter.component, kind = ?letter.message.key(), errors = %letter.errors, "pulled message failed: kept as a dead letter");
        let mut letters = self.dead_letters.lock().unwrap_or_else(PoisonError::into_inner);
        if letters.len() == DEAD_LETTERS {
            if let Some(old) = letters.pop_front() {
                tracing::warn!(kind = ?old.message.key(), "dead letter dropped: the store is full");
            }
        }
        letters.push_back(letter);
    }

    pub(crate) fn take_dead_letters(&self) -> Vec<DeadLetter> {
        self.dead_letters.lock().unwrap_or_else(PoisonError::into_inner).drain(..).collect()
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use tokio::sync::Semaphore;

    use crate::prelude::*;

    /// Records the `u32` payloads of `"n"` messages, each once its gate lets it through.
    #[derive(Hooks)]
    struct Gated {
        #[hooks(base)]
        service: Service,
        #[hooks(base)]
        bus: MessageBusClient,
        gate: Arc<Semaphore>,
        seen: Vec<u32>,
    }

    #[hooks]
    impl Gated {
        #[on_message("n")]
        async fn n(&mut self, n: &u32) {
            self.gate.acquire().await.expect("never closed").forget();
            self.seen.push(*n);
        }
    }

    fn gated(permits: usize) -> (Gated, Arc<Semaphore>) {
        let gate = Arc::new(Semaphore::new(permits));
        let component = Gated {
            service: Service::default(),
            bus: MessageBusClient::default(),
            gate: gate.clone(),
            seen: Vec::new(),
        };
        (component, gate)
    }

    #[tokio::test]
    async fn a_full_mailbox_makes_publishers_wait_and_loses_nothing() {
        let runtime = Runtime::new();
        let (closed, gate) = gated(0);
        let a = runtime.spawn(closed);
        let b = runtime.spawn(gated(Semaphore::MAX_PERMITS).0);
        a.start().await.unwrap();
        b.start().await.unwrap();
        // One message held by `a`'s handler, then a full mailbox.
        let total = super::MAILBOX as u32 + 1;
        for n in 0..total {
            a.publish(Message::new("n", n)).await.unwrap();
        }
        assert!(a.try_publish(Message::new("n", 0u32)).is_err(), "full");
        // To both subscribers, in component order: it waits for room at `a`, before `b`.
        let publish = tokio::spawn({
            let runtime = runtime.clone();
            async move { runtime.publish(Message::new("n", 9999u32)).await }
        });
        for _ in 0..100 {
            tokio::task::yield_now().await;
        }
        assert!(!publish.is_finished(), "waits while `a`'s mailbox is full");
        assert_eq!(b.with(|c| c.seen.clone()).await.unwrap(), Vec::<u32>::new());
        gate.add_permits(Semaphore::MAX_PERMITS / 2);
        assert_eq!(publish.await.unwrap(), 2);
        let expected: Vec<u32> = (0..total).chain([9999]).collect();
        assert_eq!(a.with(|c| c.seen.clone()).await.unwrap(), expected);
        assert_eq!(b.with(|c| c.seen.clone()).await.unwrap(), [9999]);
        runtime.stop_all().await.unwrap();
    }

    #[tokio::test]
    async fn publish_counts_only_the_subscribers_that_accept() {
        let runtime = Runtime::new();
        let handles: Vec<_> = (0..3).map(|_| runtime.spawn(gated(Semaphore::MAX_PERMITS).0)).collect();
        for h in &handles {
            h.start().await.unwrap();
        }
        assert_eq!(runtime.publish(Message::new("n", 1u32)).await, 3);
        assert_eq!(runtime.publish(Message::new("other", 1u32)).await, 0);
        handles[1].stop().await.unwrap();
        assert_eq!(runtime.publish(Message::new("n", 2u32)).await, 2);
        for h in [&handles[0], &handles[2]] {
            assert_eq!(h.with(|c| c.seen.clone()).await.unwrap(), [1, 2]);
        }
        runtime.stop_all().await.unwrap();
    }
}
