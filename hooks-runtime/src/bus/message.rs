//! Messages, commands and their responses, and the message hook types.

use std::any::{Any, TypeId};
use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};

use hooks_core::{BoxError, HookResult, HookValue, Key, KeyValue};

use super::Contract;

/// A message: a type key (the user's enum or a topic string, or a message contract's type) and a
/// typed payload. Cheap to clone (the payload is shared), so one message can go to every subscriber.
///
/// The untyped form, for keys known only at run time (topics from configuration, kinds from
/// dynamic params). A message contract (`#[derive(Message)]`, see [`Contract`](crate::Contract))
/// is sent as itself (`handle.command(Count)`) and becomes a `Message` of its type on the way
/// ([`Message::typed`]); both share the bus, its routing, ordering, drain and observer rules.
///
/// ```
/// use hooks_runtime::Message;
///
/// #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
/// enum Kind { Status }
///
/// let msg = Message::new(Kind::Status, 42u32);
/// assert_eq!(msg.kind::<Kind>(), Some(&Kind::Status));
/// assert_eq!(msg.payload::<u32>(), Some(&42));
/// assert_eq!(msg.payload::<String>(), None);
/// ```
#[derive(Clone)]
pub struct Message {
    kind: KeyRef,
    payload: Payload,
    payload_type: &'static str,
}

/// A message's key: made for it, or a contract's, made once per type (cloning it costs nothing).
#[derive(Clone)]
enum KeyRef {
    Owned(Key),
    Static(&'static Key),
}

impl KeyRef {
    #[inline]
    fn get(&self) -> &Key {
        match self {
            KeyRef::Owned(key) => key,
            KeyRef::Static(key) => key,
        }
    }
}

/// A message's payload: shared, or `()` (a signal), which needs no allocation.
#[derive(Clone)]
enum Payload {
    Unit,
    Shared(Arc<dyn Any + Send + Sync>),
}

impl Payload {
    fn of<P: Any + Send + Sync>(payload: P) -> Self {
        // Resolved at compile time: a `()` payload is not boxed.
        if TypeId::of::<P>() == TypeId::of::<()>() {
            Payload::Unit
        } else {
            Payload::Shared(Arc::new(payload))
        }
    }

    fn get(&self) -> &(dyn Any + Send + Sync) {
        match self {
            Payload::Unit => &(),
            Payload::Shared(payload) => &**payload,
        }
    }
}

impl Message {
    /// A message of type `kind` carrying `payload`.
    pub fn new<K: KeyValue, P: Any + Send + Sync>(kind: K, payload: P) -> Self {
        Message {
            kind: KeyRef::Owned(Key::new(kind)),
            payload: Payload::of(payload),
            payload_type: std::any::type_name::<P>(),
        }
    }

    /// A message of the contract `M` carrying `value`: what `handle.publish(value)` and the other
    /// call sites make of a contract's value. It routes by `M`'s type (see [`Contract`]), never by
    /// a `Debug` text.
    ///
    /// ```
    /// use hooks_runtime::prelude::*;
    ///
    /// #[derive(Message)]
    /// struct Status { busy: bool }
    ///
    /// let msg = Message::typed(Status { busy: true });
    /// assert!(msg.is::<Status>());
    /// assert_eq!(msg.payload::<Status>().map(|s| s.busy), Some(true));
    /// assert_eq!(format!("{:?}", msg.key()), "Status");
    /// ```
    pub fn typed<M: Contract>(value: M) -> Self {
        Message {
            kind: KeyRef::Static(M::key()),
            payload: Payload::of(value),
            payload_type: std::any::type_name::<M>(),
        }
    }

    /// Whether this is a message of the contract `M` (made from an `M`, see [`Message::typed`]).
    pub fn is<M: Contract>(&self) -> bool {
        self.kind.get().is_type::<M>()
    }

    /// A message of type `kind` with no payload (`()`).
    pub fn signal<K: KeyValue>(kind: K) -> Self {
        Message::new(kind, ())
    }

    /// The type key, if it is a `K`.
    pub fn kind<K: Any>(&self) -> Option<&K> {
        self.kind.get().downcast_ref()
    }

    /// The type key, erased (what subscriptions match).
    pub fn key(&self) -> &Key {
        self.kind.get()
    }

    /// The payload, if it is a `P`.
    pub fn payload<P: Any>(&self) -> Option<&P> {
        self.payload.get().downcast_ref()
    }

    /// The payload, or an error naming the expected and the actual payload types (what a handler
    /// declared with `msg: &P` receives when the payload is not a `P`).
    pub fn payload_or_err<P: Any>(&self) -> Result<&P, BoxError> {
        self.payload().ok_or_else(|| self.not_a::<P>())
    }

    /// The error of a handler taking `&P` given this message, whose payload is not a `P`.
    #[doc(hidden)]
    #[cold]
    pub fn not_a<P: Any>(&self) -> BoxError {
        format!(
            "message {:?} carries a `{}`, not the `{}` the handler takes",
            self.kind.get(),
            self.payload_type,
            std::any::type_name::<P>()
        )
        .into()
    }

    /// Whether the payload is a `P`.
    pub fn payload_is<P: Any>(&self) -> bool {
        (*self.payload.get()).type_id() == TypeId::of::<P>()
    }

    /// The payload by value, if it is a `P` and this is its only copy; else the message back. How
    /// a refused send gives a contract's value back (see [`SendError::into_payload`](crate::SendError::into_payload)).
    ///
    /// ```
    /// use hooks_runtime::Message;
    ///
    /// let msg = Message::new("job", String::from("payload"));
    /// let copy = msg.clone();
    /// let msg = msg.into_payload::<String>().unwrap_err(); // `copy` shares it
    /// drop(copy);
    /// assert_eq!(msg.into_payload::<String>().ok().as_deref(), Some("payload"));
    /// ```
    pub fn into_payload<P: Any + Send + Sync>(self) -> Result<P, Message> {
        let Message { kind, payload, payload_type } = self;
        match payload {
            Payload::Unit => {
                let unit: Box<dyn Any> = Box::new(());
                unit.downcast::<P>().map(|p| *p).map_err(|_| Message { kind, payload: Payload::Unit, payload_type })
            }
            Payload::Shared(shared) => match shared.downcast::<P>() {
                Ok(typed) => Arc::try_unwrap(typed).map_err(|typed| Message {
                    kind,
                    payload: Payload::Shared(typed),
                    payload_type,
                }),
                Err(shared) => Err(Message { kind, payload: Payload::Shared(shared), payload_type }),
            },
        }
    }
}

impl Default for Message {
    /// A message of kind `()` with no payload: what `run_hooks::<OnMessage>()` passes.
    fn default() -> Self {
        Message::signal(())
    }
}

impl fmt::Debug for Message {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Message").field("kind", self.kind.get()).field("payload", &self.payload_type).finish()
    }
}

/// A command or request being handled: the message, and the response the first handler that
/// returns a value gives. What `#[on_command]`/`#[on_request]` hooks receive (they see the message).
#[derive(Debug, Default)]
pub struct Call {
    /// The command or request.
    pub message: Message,
    /// A mutex rather than a `OnceLock`: setting it is an uncontended lock, cheaper than a
    /// `Once`'s initialization, and taking it out needs no synchronization.
    response: Mutex<Option<Response>>,
}

impl Call {
    /// A call carrying `message`, not answered yet.
    pub fn new(message: Message) -> Self {
        Call { message, response: Mutex::new(None) }
    }

    /// Answers the call unless it was answered already (the first answer wins).
    pub fn respond(&self, response: Response) {
        let mut slot = self.response.lock().unwrap_or_else(PoisonError::into_inner);
        if slot.is_none() {
            *slot = Some(response);
        }
    }

    /// The answer, if any.
    pub fn into_response(self) -> Option<Response> {
        self.response.into_inner().unwrap_or_else(PoisonError::into_inner)
    }
}

/// The value a command or request handler returned, type-erased.
///
/// ```
/// use hooks_runtime::Response;
///
/// let r = Response::new(7u32);
/// assert_eq!(r.get::<u32>(), Some(&7));
/// assert_eq!(r.downcast::<u32>().ok(), Some(7));
/// ```
pub struct Response {
    value: Box<dyn Any + Send + Sync>,
    type_name: &'static str,
}

impl Response {
    /// A response holding `value`.
    pub fn new<T: Any + Send + Sync>(value: T) -> Self {
        Response { value: Box::new(value), type_name: std::any::type_name::<T>() }
    }

    /// The value, if it is a `T`.
    pub fn get<T: Any>(&self) -> Option<&T> {
        self.value.downcast_ref()
    }

    /// The value, or the response back when it is not a `T`.
    pub fn downcast<T: Any>(self) -> Result<T, Response> {
        match self.value.downcast::<T>() {
            Ok(value) => Ok(*value),
            Err(value) => Err(Response { value, type_name: self.type_name }),
        }
    }

    /// The name of the value's type.
    pub fn type_name(&self) -> &'static str {
        self.type_name
    }
}

impl fmt::Debug for Response {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Response({})", self.type_name)
    }
}

/// What a command or request handler may return: `()`, or `Result<T, E>` whose `Ok` value is the
/// response (any `Send + Sync + 'static` value).
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a valid command or request handler return type",
    label = "return `Result<T, E>` (the `Ok` value is the response) or `()`"
)]
pub trait IntoResponse {
    /// Records the response in `call` and gives the hook's result.
    fn respond_to(self, call: &Call) -> HookResult;
}

/// A handler that returns no value (`()` or `Ok(())`) leaves the response to the handlers after it;
/// when none gives a value the caller gets `Response::new(())`.
impl IntoResponse for () {
    fn respond_to(self, _call: &Call) -> HookResult {
        Ok(HookValue::Unit)
    }
}

impl<T: Any + Send + Sync, E: Into<BoxError>> IntoResponse for Result<T, E> {
    fn respond_to(self, call: &Call) -> HookResult {
        let value = self.map_err(Into::into)?;
        // Resolved at compile time: `Ok(())` is no value, and must not hide a later handler's.
        if TypeId::of::<T>() != TypeId::of::<()>() {
            call.respond(Response::new(value));
        }
        Ok(HookValue::Unit)
    }
}

hooks_core::hook_type!(
    /// Handles published messages of the types in its params (`#[on_message(..)]`).
    pub OnMessage(Message), routes
);
hooks_core::hook_type!(
    /// Handles commands of the types in its params (`#[on_command(..)]`); the value the handler
    /// returns is the response.
    pub OnCommand(Call), routes
);
hooks_core::hook_type!(
    /// Handles requests of the types in its params (`#[on_request(..)]`); the value the handler
    /// returns is the reply.
    pub OnRequest(Call), routes
);
hooks_core::hook_type!(
    /// Handles work-queue messages of the types in its params (`#[on_pull_message(..)]`): each
    /// pushed message goes to exactly one puller.
    pub OnPullMessage(Message), routes
);
