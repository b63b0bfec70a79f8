//! Message contracts: a message type declared once with its payload and reply types
//! (`#[derive(Message)]`), routed by its type and checked at compile time at the handler and at
//! the call site; and [`IntoMessage`], what every call site takes (a contract's value or an
//! untyped [`Message`](struct@Message)).

use std::any::{Any, TypeId};
use std::collections::HashMap;
use std::marker::PhantomData;
use std::sync::{Arc, OnceLock, PoisonError, RwLock};

use hooks_core::Key;

use super::{CallError, Message, Response};

/// A message contract: a type whose values are messages, with the type of the reply a command or
/// request of it gets. Declared once, with `#[derive(Message)]`:
///
/// ```
/// use hooks_runtime::prelude::*;
///
/// #[derive(Message)]
/// #[message(reply = u32)]                 // what `handle.command(Count)` answers; default `()`
/// struct Count;
///
/// #[derive(Message)]
/// #[message(name = "workers.status")]     // the stable name (default: the type's name)
/// struct Status { busy: bool }
///
/// assert_eq!(<Count as Contract>::NAME, "Count");
/// assert_eq!(<Status as Contract>::NAME, "workers.status");
/// assert!(Message::typed(Status { busy: true }).payload::<Status>().is_some_and(|s| s.busy));
/// ```
///
/// - **Routing**: by the type ([`Contract::key`], a `Key::of_type`), never by a `Debug` text: two
///   contracts never share handlers, whatever their names, and no untyped [`Message`](struct@Message) reaches a
///   contract's handlers by accident.
/// - **Handlers**: `#[on_command] fn count(&mut self, _: &Count) -> u32` (the contract is the
///   argument's type) or `#[on_command(Count)]`; a handler takes the payload `&Count` (or the whole
///   `&Message`) and returns the reply (`u32`, or `Result<u32, E>`): anything else is a compile
///   error that names the contract, what it expects and what it found.
/// - **Call sites** take the value: `handle.command(Count).await` is a `Result<u32, CallError>`,
///   `runtime.publish(Status { busy: true })`, `handle.request(..)`, `runtime.push(..)`, and the
///   same on a hook's [`Context`](crate::Context).
/// - The payload is the value itself: a handler of `Status` gets `&Status`.
/// - With the `serde` feature, `#[message(serde)]` also makes it a [`RemoteContract`](crate::RemoteContract):
///   payload and reply serialize, and its name is the subject a transport sends it under.
///
/// # The derive's options
/// `#[message(reply = T, name = "..", serde, crate = "..")]`, all optional. The type may be a
/// struct (unit, with fields, or a tuple struct) or an enum, not generic. On a struct with fields
/// or an enum, the derive also makes the type's name a value (a hidden constant of the value
/// namespace, which such a type leaves free), so that `#[on_message(Status)]` names the contract
/// like `#[on_message(Count)]` does a unit struct; a tuple struct's name is its constructor, so
/// its handlers name it by their argument: `#[on_message] fn job(&mut self, job: &Job)`.
pub trait Contract: Any + Send + Sync + Sized {
    /// What a command or request of this contract answers (`()` for a contract only published
    /// or pushed).
    type Reply: Any + Send + Sync;

    /// The stable name: the key's `Debug` text, and the subject a transport sends it under. The
    /// type's name unless `#[message(name = "..")]` says otherwise.
    const NAME: &'static str;

    /// The routing key of this contract: `Key::of_type::<Self>(Self::NAME)`, made once per type.
    /// For a hook attached at run time: `HookSpec::new("late").keys([Count::key().clone()])`.
    fn key() -> &'static Key {
        // The derive keeps its own per-type static; a hand-written impl gets one from this map.
        static KEYS: OnceLock<RwLock<HashMap<TypeId, &'static Key>>> = OnceLock::new();
        let keys = KEYS.get_or_init(RwLock::default);
        if let Some(key) = keys.read().unwrap_or_else(PoisonError::into_inner).get(&TypeId::of::<Self>()) {
            return key;
        }
        let mut keys = keys.write().unwrap_or_else(PoisonError::into_inner);
        // One per type, kept for the process's life: a few bytes per contract type.
        keys.entry(TypeId::of::<Self>()).or_insert_with(|| Box::leak(Box::new(Key::of_type::<Self>(Self::NAME))))
    }
}

mod sealed {
    pub trait Sealed {}
    impl Sealed for super::Message {}
    impl<M: super::Contract> Sealed for M {}
}

/// What every call site takes: an untyped [`Message`](struct@Message), or the value of a message [`Contract`].
/// Implemented for those two only.
///
/// `Reply` is what a command or request of it answers: the contract's reply type, or, for an
/// untyped `Message`, the type-erased [`Response`].
///
/// ```
/// use hooks_runtime::prelude::*;
/// use hooks_runtime::IntoMessage;
///
/// #[derive(Message)]
/// #[message(reply = u32)]
/// struct Count;
///
/// #[derive(Hooks, Default)]
/// struct Counter { #[hooks(base)] service: Service, #[hooks(base)] commands: CommandHandler }
///
/// #[hooks]
/// impl Counter {
///     #[on_command]
///     fn count(&mut self, _: &Count) -> u32 { 1 }
///
///     #[on_command("count")]
///     fn count_untyped(&mut self, _msg: &Message) -> Result<u32, std::io::Error> { Ok(2) }
/// }
///
/// fn reply_of<M: IntoMessage>(_: &M) -> &'static str { std::any::type_name::<M::Reply>() }
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let runtime = Runtime::new();
/// let counter = runtime.spawn(Counter::default());
/// counter.start().await?;
/// let typed: u32 = counter.command(Count).await?;                       // the contract's reply type
/// let untyped = counter.command(Message::signal("count")).await?;       // a `Response` to downcast
/// assert_eq!((typed, untyped.downcast::<u32>().ok()), (1, Some(2)));
/// assert_eq!(reply_of(&Count), "u32");
/// # counter.stop().await?; Ok(()) }
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a message",
    label = "expected a message contract's value or a `Message`",
    note = "declare a message contract with `#[derive(Message)]` (and `#[message(reply = T)]` for a command or request), or send an untyped `Message::new(kind, payload)`"
)]
pub trait IntoMessage: sealed::Sealed + Send + 'static {
    /// What a command or request of it answers.
    type Reply: Send + 'static;

    /// The message.
    fn into_message(self) -> Message;

    /// The reply, from the response of its handlers.
    #[doc(hidden)]
    fn reply(response: Response, component: &Arc<str>) -> Result<Self::Reply, CallError>;
}

impl IntoMessage for Message {
    type Reply = Response;

    #[inline]
    fn into_message(self) -> Message {
        self
    }

    #[inline]
    fn reply(response: Response, _component: &Arc<str>) -> Result<Response, CallError> {
        Ok(response)
    }
}

#[diagnostic::do_not_recommend]
impl<M: Contract> IntoMessage for M {
    type Reply = M::Reply;

    #[inline]
    fn into_message(self) -> Message {
        Message::typed(self)
    }

    #[inline]
    fn reply(response: Response, component: &Arc<str>) -> Result<M::Reply, CallError> {
        // The handlers' return types were checked against `M::Reply` at compile time; a hook
        // attached at run time is not, and its mistake is an error, not a panic.
        response.downcast::<M::Reply>().map_err(|response| CallError::WrongReply {
            component: component.clone(),
            kind: M::key().clone(),
            expected: std::any::type_name::<M::Reply>(),
            found: response.type_name(),
        })
    }
}

/// The name of a contract as a value, for a type whose name is not one (a struct with fields, an
/// enum): `#[derive(Message)]` declares a hidden constant of this type under the type's name, so
/// that `#[on_message(Status)]` names the contract `Status`. Not a message itself.
///
/// ```
/// use hooks_runtime::prelude::*;
/// use hooks_runtime::ContractOf;
///
/// #[derive(Message)]
/// struct Status { busy: bool }
///
/// let _: ContractOf<Status> = Status; // the name, as a value: what the attribute sees
/// let status = Status { busy: true };  // the type, as ever
/// assert!(status.busy);
///
/// #[derive(Hooks, Default)]
/// struct Monitor { #[hooks(base)] service: Service, #[hooks(base)] bus: MessageBusClient, seen: u32 }
///
/// #[hooks]
/// impl Monitor {
///     #[on_message(Status)]                    // named in the attribute: the handler may take `&Message`
///     fn any(&mut self, msg: &Message) { self.seen += u32::from(msg.is::<Status>()); }
/// }
/// ```
pub struct ContractOf<M>(PhantomData<fn() -> M>);

impl<M> ContractOf<M> {
    /// The name of the contract `M`.
    pub const fn new() -> Self {
        ContractOf(PhantomData)
    }
}

impl<M> Default for ContractOf<M> {
    fn default() -> Self {
        ContractOf::new()
    }
}

impl<M> Clone for ContractOf<M> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<M> Copy for ContractOf<M> {}

impl<M: Contract> std::fmt::Debug for ContractOf<M> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ContractOf({})", M::NAME)
    }
}
