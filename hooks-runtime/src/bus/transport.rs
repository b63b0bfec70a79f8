//! The transport seam: how the bus of a [`Runtime`](crate::Runtime) reaches other processes.
//!
//! The bus delivers every message in the process as before; a transport adds the messages of
//! the contracts it *carries* (`#[message(serde)]`, see [`RemoteContract`](crate::RemoteContract))
//! to and from other processes:
//!
//! - **outbound**: a publish of a carried contract is delivered to the local subscribers and sent
//!   on the transport; a push goes to the transport's queue (whose members are the pullers of
//!   every process, this one's too); a command or request with no local handler goes to the
//!   transport;
//! - **inbound**: the bus tells the transport when the process gains or loses its first local
//!   subscriber, puller or handler of a carried contract ([`Interest`]); the transport then
//!   listens (or stops) and hands what arrives to the local bus.
//!
//! The one implementation is the NATS transport (feature `nats`, `NatsTransport`).

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use hooks_core::Key;

use super::{CallError, CallKind, Message, Response, SendError};

pub(crate) type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// What a process listens for, per carried contract.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) enum Interest {
    /// A running component has an `on_message` handler for it.
    Message,
    /// A running component pulls it (`on_pull_message`).
    Pull,
    /// A running component has an `on_command` handler for it.
    Command,
    /// A running component has an `on_request` handler for it.
    Request,
}

impl Interest {
    pub(crate) fn of(kind: CallKind) -> Interest {
        match kind {
            CallKind::Command => Interest::Command,
            CallKind::Request => Interest::Request,
        }
    }
}

/// A transport between processes, as the bus sees it.
pub(crate) trait Transport: Send + Sync + 'static {
    /// Whether messages of `key` cross processes on this transport.
    fn carries(&self, key: &Key) -> bool;

    /// The process gained (`on`) or lost its local interest of kind `interest` in `key` (a key it
    /// carries). Called under the bus's locks: must not block.
    fn interest(&self, interest: Interest, key: &Key, on: bool);

    /// Waits until every interest told so far is in effect (subscriptions made and confirmed by
    /// the server).
    fn ready(&self) -> BoxFuture<'_, ()>;

    /// Sends a published message to the other processes.
    fn publish(&self, message: Message) -> BoxFuture<'_, Result<(), TransportError>>;

    /// Puts a message on the queue of its type, shared by the pullers of every process.
    fn push(&self, message: Message) -> BoxFuture<'_, Result<(), SendError>>;

    /// A command or request to another process: the name of the component that answered and its
    /// response.
    fn call(&self, kind: CallKind, message: Message) -> BoxFuture<'_, Result<(Arc<str>, Response), CallError>>;

    /// Sends what is buffered.
    fn flush(&self) -> BoxFuture<'_, Result<(), TransportError>>;
}

/// A failure of the transport between processes (feature `nats`): a message could not be sent,
/// or what arrived could not be read. Carried in `CallError::Transport` for calls.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum TransportError {
    /// The server could not be reached (or did not take the message within the publish budget):
    /// the message was not sent.
    #[error("the message server is unreachable ({subject}): {reason}")]
    Unavailable {
        /// The subject the message was for.
        subject: String,
        /// What failed.
        reason: String,
    },
    /// A payload (or reply) that arrived does not decode as its contract says.
    #[error("a `{contract}` from `{sender}` does not decode: {reason}")]
    Decode {
        /// The contract's name.
        contract: &'static str,
        /// Who sent it (its transport's name).
        sender: String,
        /// The codec's error.
        reason: String,
    },
    /// A value did not encode (its `Serialize` failed, or it is not the contract's type).
    #[error("a `{contract}` does not encode: {reason}")]
    Encode {
        /// The contract's name.
        contract: &'static str,
        /// The codec's error.
        reason: String,
    },
    /// An encoded message is larger than the server takes (NATS `max_payload`, 1 MiB unless the
    /// server is configured otherwise): it was not sent. Send a reference (a key, a path) to
    /// large data instead, or raise the server's limit.
    #[error("a `{contract}` of {size} bytes is larger than the server takes ({max} bytes, its max_payload): not sent")]
    TooLarge {
        /// The contract's name.
        contract: &'static str,
        /// The encoded size.
        size: usize,
        /// The server's limit.
        max: usize,
    },
    /// The transport could not be set up (connect, subscriptions, JetStream streams).
    #[error("the transport cannot be set up: {0}")]
    Setup(String),
    /// The other process answered with an error this process does not know.
    #[error("`{component}` answered with an error: {reason}")]
    Remote {
        /// Who answered.
        component: Arc<str>,
        /// What it said.
        reason: String,
    },
}
