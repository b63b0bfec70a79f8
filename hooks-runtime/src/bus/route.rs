//! How `#[hooks]` tells a message contract from a dynamic message type in a handler's params, and
//! checks the handler against the contract at compile time. Generated code only (`__private`).
//!
//! The macro cannot see whether `#[on_command(Count)]` names a contract or a value routed by its
//! `Debug` text, so the generated code asks the type system (autoref specialization, resolved at
//! compile time): `(&&Probe::of(&value)).route()` is [`Typed<M>`] when the value is a contract
//! `M` (or its name, [`ContractOf<M>`]) and [`Dynamic`] otherwise. The route then
//!
//! - makes the param: the contract's key, or a key of the value (`Typed::param`, `Dynamic::param`);
//! - checks the handler's argument ([`takes`]: `&M` or `&Message` for a contract, anything
//!   for a dynamic type) and return type ([`answers`], [`respond_as`]: `M::Reply` or
//!   `Result<M::Reply, E>` for a contract, what [`IntoResponse`] accepts for a dynamic type);
//!   each bound is worded with `#[diagnostic::on_unimplemented]` and reported on the user's tokens;
//! - converts the return value into the call's response ([`respond_as`]).

use std::any::{Any, TypeId};
use std::marker::PhantomData;

use hooks_core::{BoxError, HookResult, HookValue, KeyValue, ParamValue};

use super::{Call, Contract, ContractOf, IntoResponse, Message, Response};

/// A value's type, to route on; never holds the value.
pub struct Probe<T>(PhantomData<fn() -> T>);

impl<T> Probe<T> {
    /// The type of `value`.
    pub fn of(_value: &T) -> Self {
        Probe(PhantomData)
    }

    /// The type `f` returns; `f` is never called (a param is not evaluated to be checked).
    pub fn of_fn(_f: impl FnOnce() -> T) -> Self {
        Probe(PhantomData)
    }
}

/// `value.__hooks_probe()`: [`Probe::of`] as a method. A method call on a value whose type is not
/// known (the items of a params closure that yields no iterable) is an error rustc drops as a
/// consequence of the first; `Probe::of(&value)` would add one (ambiguous routes).
pub trait ProbeOf: Sized {
    /// The type of `self`.
    fn __hooks_probe(&self) -> Probe<Self> {
        Probe(PhantomData)
    }
}

impl<T> ProbeOf for T {}

/// The route of a contract's value or name: picked first, when it applies.
pub trait ViaContract {
    /// `Typed<M>`.
    type Route;
    /// The route.
    fn __hooks_route(&self) -> Self::Route;
}

impl<M: Contract> ViaContract for &Probe<M> {
    type Route = Typed<M>;
    fn __hooks_route(&self) -> Typed<M> {
        Typed(PhantomData)
    }
}

impl<M: Contract> ViaContract for &Probe<ContractOf<M>> {
    type Route = Typed<M>;
    fn __hooks_route(&self) -> Typed<M> {
        Typed(PhantomData)
    }
}

/// The route of a tuple struct's name, which is its constructor (`#[on_request(Echo)]` with
/// `struct Echo(String)`): the contract it makes. One trait per arity (up to four fields), so that
/// a constructor's argument types are inferred from it.
macro_rules! via_constructor {
    ($($trait:ident($($arg:ident),+);)*) => {$(
        #[doc(hidden)]
        pub trait $trait<$($arg),+> {
            /// `Typed<M>`.
            type Route;
            /// The route.
            fn __hooks_route(&self) -> Self::Route;
        }

        impl<F: Fn($($arg),+) -> M, M: Contract, $($arg),+> $trait<$($arg),+> for &Probe<F> {
            type Route = Typed<M>;
            fn __hooks_route(&self) -> Typed<M> {
                Typed(PhantomData)
            }
        }
    )*};
}

via_constructor! {
    ViaConstructor1(A);
    ViaConstructor2(A, B);
    ViaConstructor3(A, B, C);
    ViaConstructor4(A, B, C, D);
}

/// The route of any other value: by its `Debug` text.
pub trait ViaDynamic {
    /// `Dynamic`.
    fn __hooks_route(&self) -> Dynamic;
}

impl<T> ViaDynamic for Probe<T> {
    fn __hooks_route(&self) -> Dynamic {
        Dynamic
    }
}

/// Messages of the contract `M`.
pub struct Typed<M>(PhantomData<fn() -> M>);

impl<M> Clone for Typed<M> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<M> Copy for Typed<M> {}

impl<M: Contract> Typed<M> {
    /// The param: the contract's key (the value, a contract's value or name, is not kept).
    pub fn param<V>(self, _value: V) -> ParamValue {
        ParamValue::from_key(M::key().clone())
    }
}

/// Messages of a type that routes by its value's `Debug` text.
#[derive(Clone, Copy)]
pub struct Dynamic;

impl Dynamic {
    /// The param: a key of the value.
    pub fn param<V: KeyValue>(self, value: V) -> ParamValue {
        ParamValue::key(value)
    }
}

/// The route `f` would give; `f` is never called (it walks a params closure's values, routing each).
pub fn route_of<R: Route>(_f: impl FnOnce() -> Option<R>) -> R {
    R::NEW
}

/// What a route checks handlers against.
pub trait Route: Copy {
    /// The route (a marker).
    const NEW: Self;
    /// The contract (`Dynamic` for a dynamic type).
    type Contract;
    /// Its reply (`NoReply` for a dynamic type: a handler's value is any [`IntoResponse`]).
    type Reply;
}

impl<M: Contract> Route for Typed<M> {
    const NEW: Self = Typed(PhantomData);
    type Contract = M;
    type Reply = M::Reply;
}

impl Route for NotAContract {
    const NEW: Self = NotAContract;
    type Contract = NotAContract;
    type Reply = NoReply;
}

impl Route for Dynamic {
    const NEW: Self = Dynamic;
    type Contract = Dynamic;
    type Reply = NoReply;
}

/// The "reply type" of a dynamic type's route: none that a handler could return.
pub enum NoReply {}

/// The type of a handler's argument, for a handler that lists no message types (`#[on_command] fn
/// count(&mut self, c: &Count)`): its route is `Typed<Count>` when the type is a contract, else
/// [`NotAContract`], which fits any handler, so that the one error is [`names_contract`]'s.
pub struct ArgProbe<T: ?Sized>(PhantomData<fn() -> PhantomData<T>>);

impl<T: ?Sized> ArgProbe<T> {
    /// The probe of `T`.
    pub fn new() -> Self {
        ArgProbe(PhantomData)
    }
}

impl<T: ?Sized> Default for ArgProbe<T> {
    fn default() -> Self {
        ArgProbe::new()
    }
}

impl<M: Contract> ViaContract for &ArgProbe<M> {
    type Route = Typed<M>;
    fn __hooks_route(&self) -> Typed<M> {
        Typed(PhantomData)
    }
}

/// The route of a handler argument that is not a contract.
pub trait ViaArgument {
    /// `NotAContract`.
    fn __hooks_route(&self) -> NotAContract;
}

impl<T: ?Sized> ViaArgument for ArgProbe<T> {
    fn __hooks_route(&self) -> NotAContract {
        NotAContract
    }
}

/// The route of a handler without message types whose argument is not a contract: a compile error
/// ([`names_contract`]), and nothing else.
#[derive(Clone, Copy)]
pub struct NotAContract;

impl NotAContract {
    /// No param (never runs: the handler does not compile).
    pub fn param<V>(self, _value: V) -> ParamValue {
        ParamValue::new(())
    }
}

/// Checks that `M`, the argument of a handler without message types, is a message contract.
#[inline(always)]
pub fn names_contract<M: NamesContract + ?Sized>() {}

/// `M` is a message contract, as the argument of a handler without message types.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a message contract, and this handler lists no message types",
    label = "a handler without message types handles the contract it takes, and `{Self}` is not one",
    note = "make `{Self}` a contract with `#[derive(Message)]`, or list the message types in the attribute, e.g. `#[on_message(Kind::Status)]`"
)]
pub trait NamesContract {}

impl<M: Contract> NamesContract for M {}

/// What a handler may take of messages of the contract `Self`: `&Self` (the payload) or `&Message`.
#[diagnostic::on_unimplemented(
    message = "this handler takes `&{A}`, but messages of the contract `{Self}` carry a `{Self}`",
    label = "expected `&{Self}` or `&Message`, found `&{A}`",
    note = "a handler of the message contract `{Self}` takes its payload `&{Self}` or the whole `&Message`: change the argument's type, or route the handler by other message types"
)]
pub trait Carries<A: ?Sized> {}

impl<M: Contract> Carries<M> for M {}

impl<M: Contract> Carries<Message> for M {}

/// A dynamic type's payload is checked when a message arrives (`Message::payload_or_err`).
#[diagnostic::do_not_recommend]
impl<A: ?Sized> Carries<A> for Dynamic {}

#[diagnostic::do_not_recommend]
impl<A: ?Sized> Carries<A> for NotAContract {}

/// Checks that the handler's argument `&A` fits the route `R`.
#[inline(always)]
pub fn takes<A: ?Sized, R: Route>(_route: &R)
where
    R::Contract: Carries<A>,
{
}

/// What a handler of the contract `Self` may return: its reply `Reply` (shape [`Bare`]) or a
/// `Result<Reply, E>` (shape [`Wrapped`]); for a dynamic type (shape [`Untyped`]) what
/// [`IntoResponse`] accepts. The shape tells the two contract forms apart, so that a reply that is
/// itself a `Result` is never read as the handler's success or failure.
#[diagnostic::on_unimplemented(
    message = "this handler returns `{Ret}`, but the message contract `{Self}` replies with `{Reply}`",
    label = "expected `{Reply}` or `Result<{Reply}, E>`, found `{Ret}`",
    note = "a command or request handler of `{Self}` returns its reply, `{Reply}` or `Result<{Reply}, E>`; change the return type, or the contract's `#[message(reply = ..)]`"
)]
pub trait Answers<Ret, Reply, Shape> {
    /// Records `ret` as `call`'s response and gives the hook's result.
    fn respond(ret: Ret, call: &Call) -> HookResult;
}

/// The contract's reply itself.
pub enum Bare {}
/// `Result<Reply, E>`.
pub enum Wrapped {}
/// A dynamic type's.
pub enum Untyped {}

impl<M, R: Any + Send + Sync> Answers<R, R, Bare> for M {
    #[inline]
    fn respond(ret: R, call: &Call) -> HookResult {
        respond_with(ret, call);
        Ok(HookValue::Unit)
    }
}

impl<M, R: Any + Send + Sync, E: Into<BoxError>> Answers<Result<R, E>, R, Wrapped> for M {
    #[inline]
    fn respond(ret: Result<R, E>, call: &Call) -> HookResult {
        respond_with(ret.map_err(Into::into)?, call);
        Ok(HookValue::Unit)
    }
}

impl<T: IntoResponse> Answers<T, NoReply, Untyped> for Dynamic {
    #[inline]
    fn respond(ret: T, call: &Call) -> HookResult {
        ret.respond_to(call)
    }
}

#[diagnostic::do_not_recommend]
impl<T> Answers<T, NoReply, Untyped> for NotAContract {
    fn respond(_ret: T, _call: &Call) -> HookResult {
        Ok(HookValue::Unit)
    }
}

/// A reply of `()` is no value: it never hides a later handler's (as for `IntoResponse`).
#[inline]
fn respond_with<R: Any + Send + Sync>(reply: R, call: &Call) {
    if TypeId::of::<R>() != TypeId::of::<()>() {
        call.respond(Response::new(reply));
    }
}

/// Checks that a handler's return value `ret` fits the route `R` (for the routes after the
/// first, which [`respond_as`] checks).
#[inline(always)]
pub fn answers<R: Route, T, S>(_route: &R, _ret: &T)
where
    R::Contract: Answers<T, R::Reply, S>,
{
}

/// Records a command or request handler's return value `ret` as `call`'s response, as the route
/// `R` reads it.
#[inline(always)]
pub fn respond_as<R: Route, T, S>(_route: &R, ret: T, call: &Call) -> HookResult
where
    R::Contract: Answers<T, R::Reply, S>,
{
    <R::Contract as Answers<T, R::Reply, S>>::respond(ret, call)
}
