//! The in-process message bus of a [`Runtime`](crate::Runtime): subscriptions, work queues,
//! observers and dead letters.
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

mod message;
mod routes;

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::{Arc, Mutex, PoisonError, RwLock};

use hooks_core::{HookError, Key, MultiError};
use tokio::sync::{mpsc, oneshot};

pub use message::{Call, IntoResponse, Message, OnCommand, OnMessage, OnPullMessage, OnRequest, Response};
pub(crate) use routes::Routes;

/// How many messages a component's mailbox, and a work queue, hold before senders wait.
pub const MAILBOX: usize = 1024;

/// How many dead letters a runtime keeps (the oldest are dropped first, with a warning).
pub const DEAD_LETTERS: usize = 1024;

/// What a component's mailbox carries.
pub(crate) enum Delivery {
    Message(Message),
    Call { kind: CallKind, message: Message, reply: oneshot::Sender<Result<Response, CallError>> },
    Pull(Message),
}

impl Delivery {
    /// The message, taken back from a delivery that could not be sent.
    pub(crate) fn into_message(self) -> Message {
        match self {
            Delivery::Message(m) | Delivery::Pull(m) | Delivery::Call { message: m, .. } => m,
        }
    }
}

/// Which hooks a call goes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CallKind {
    Command,
    Request,
}

/// A send that was not accepted: the component is stopping or stopped. Carries the message back.
#[derive(Debug, thiserror::Error)]
#[error("`{component}` is stopping or stopped: message {:?} was not accepted", message.key())]
pub struct SendError {
    /// The component's name.
    pub component: Arc<str>,
    /// The message, handed back.
    pub message: Message,
}

impl SendError {
    /// The message that was not accepted.
    pub fn into_message(self) -> Message {
        self.message
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
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum MessageEvent {
    /// A message was accepted into `to`'s mailbox (or a work queue, `to` = `"queue"`).
    Sent {
        /// The receiving component (or `"queue"`).
        to: Arc<str>,
        /// The message type.
        kind: Key,
    },
    /// `by` took the message from its mailbox and is about to run its handlers.
    Received {
        /// The handling component.
        by: Arc<str>,
        /// The message type.
        kind: Key,
    },
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

/// A work queue: many pullers share the receiver; each message is received once.
#[derive(Clone)]
pub(crate) struct WorkQueue {
    tx: mpsc::Sender<Message>,
    pub(crate) rx: Arc<tokio::sync::Mutex<mpsc::Receiver<Message>>>,
}

/// The bus of one runtime.
#[derive(Default)]
pub(crate) struct Bus {
    /// Message type → subscribed components' mailboxes, by component id.
    subscribers: RwLock<Subscribers>,
    queues: Mutex<HashMap<Key, WorkQueue>>,
    observers: RwLock<Vec<Observer>>,
    /// Whether any observer was added (checked before building an event).
    observed: std::sync::atomic::AtomicBool,
    dead_letters: Mutex<VecDeque<DeadLetter>>,
}

/// A subscribed component's name (for `Sent` events) and mailbox.
type Subscriber = (Arc<str>, mpsc::Sender<Delivery>);

#[derive(Default)]
struct Subscribers {
    /// Message type → subscribers, by component id.
    by_key: HashMap<Key, BTreeMap<u64, Subscriber>>,
    /// The keys each component subscribed to, so that unsubscribing touches only those.
    by_component: HashMap<u64, Vec<Key>>,
}

impl Bus {
    pub(crate) fn subscribe(&self, key: Key, id: u64, name: Arc<str>, mailbox: mpsc::Sender<Delivery>) {
        let mut subs = self.subscribers.write().unwrap_or_else(PoisonError::into_inner);
        subs.by_component.entry(id).or_default().push(key.clone());
        subs.by_key.entry(key).or_default().insert(id, (name, mailbox));
    }

    pub(crate) fn unsubscribe(&self, id: u64) {
        let mut subs = self.subscribers.write().unwrap_or_else(PoisonError::into_inner);
        for key in subs.by_component.remove(&id).unwrap_or_default() {
            if let Some(list) = subs.by_key.get_mut(&key) {
                list.remove(&id);
                if list.is_empty() {
                    subs.by_key.remove(&key);
                }
            }
        }
    }

    /// Delivers `message` to every subscriber of its type that still accepts messages (a `Sent`
    /// event for each that accepted it); returns how many accepted it.
    pub(crate) async fn publish(&self, message: Message) -> usize {
        let targets: Vec<Subscriber> = {
            let subs = self.subscribers.read().unwrap_or_else(PoisonError::into_inner);
            subs.by_key.get(message.key()).map(|list| list.values().cloned().collect()).unwrap_or_default()
        };
        let mut accepted = 0;
        for (name, target) in targets {
            if target.send(Delivery::Message(message.clone())).await.is_ok() {
                accepted += 1;
                self.notify(|| MessageEvent::Sent { to: name, kind: message.key().clone() });
            }
        }
        accepted
    }

    /// The work queue of a message type, made on first use.
    pub(crate) fn queue(&self, key: &Key) -> WorkQueue {
        let mut queues = self.queues.lock().unwrap_or_else(PoisonError::into_inner);
        queues
            .entry(key.clone())
            .or_insert_with(|| {
                let (tx, rx) = mpsc::channel(MAILBOX);
                WorkQueue { tx, rx: Arc::new(tokio::sync::Mutex::new(rx)) }
            })
            .clone()
    }

    pub(crate) async fn push(&self, message: Message) -> Result<(), SendError> {
        let queue = self.queue(message.key());
        let kind = message.key().clone();
        queue.tx.send(message).await.map_err(|e| SendError { component: "queue".into(), message: e.0 })?;
        self.notify(|| MessageEvent::Sent { to: "queue".into(), kind });
        Ok(())
    }

    pub(crate) fn observe(&self, observer: Observer) {
        self.observers.write().unwrap_or_else(PoisonError::into_inner).push(observer);
        self.observed.store(true, std::sync::atomic::Ordering::Release);
    }

    /// Tells the observers; the event is built only when there are any (the common case has none).
    #[inline]
    pub(crate) fn notify(&self, event: impl FnOnce() -> MessageEvent) {
        if !self.observed.load(std::sync::atomic::Ordering::Acquire) {
            return;
        }
        let event = event();
        let observers = self.observers.read().unwrap_or_else(PoisonError::into_inner);
        for observer in observers.iter() {
            observer(&event);
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
