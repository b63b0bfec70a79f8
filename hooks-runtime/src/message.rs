//! Messages and the message hook types.

use std::any::Any;
use std::fmt;

use hooks_core::{Param, ParamValue};

/// A message on the bus: a type key (the user's enum or a topic string) and a typed payload.
///
/// ```
/// use hooks_runtime::Message;
///
/// #[derive(Debug, PartialEq)]
/// enum Kind { Status }
///
/// let msg = Message::new(Kind::Status, 42u32);
/// assert_eq!(msg.kind::<Kind>(), Some(&Kind::Status));
/// assert_eq!(msg.payload::<u32>(), Some(&42));
/// ```
pub struct Message {
    kind: ParamValue,
    payload: Box<dyn Any + Send + Sync>,
}

impl Message {
    /// A message of type `kind` carrying `payload`.
    pub fn new<K: Param, P: Any + Send + Sync>(kind: K, payload: P) -> Self {
        Message { kind: ParamValue::new(kind), payload: Box::new(payload) }
    }

    /// The type key, if it is a `K`.
    pub fn kind<K: Any>(&self) -> Option<&K> {
        self.kind.downcast_ref()
    }

    /// The type key, erased.
    pub fn kind_value(&self) -> &ParamValue {
        &self.kind
    }

    /// The payload, if it is a `P`.
    pub fn payload<P: Any>(&self) -> Option<&P> {
        self.payload.downcast_ref()
    }
}

impl Default for Message {
    /// An empty message (kind `()`, payload `()`), what `run_hooks::<OnMessage>()` passes.
    fn default() -> Self {
        Message::new((), ())
    }
}

impl fmt::Debug for Message {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Message").field("kind", &self.kind).finish_non_exhaustive()
    }
}

hooks_core::hook_type!(
    /// Handles published messages of the types in its params (`#[on_message(..)]`).
    pub OnMessage(Message)
);
hooks_core::hook_type!(
    /// Handles commands of the types in its params (`#[on_command(..)]`).
    pub OnCommand(Message)
);
hooks_core::hook_type!(
    /// Handles requests of the types in its params (`#[on_request(..)]`).
    pub OnRequest(Message)
);
hooks_core::hook_type!(
    /// Handles work-queue messages of the types in its params (`#[on_pull_message(..)]`).
    pub OnPullMessage(Message)
);
