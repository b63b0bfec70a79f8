//! Stage hooks: three events around a method, [`Before`] (sees the arguments), [`After`] (sees the
//! return value and the arguments) and [`OnError`] (sees the error and the arguments).
//!
//! The rules it applies are documented in [`crate::rules::stages`].

use std::borrow::Cow;
use std::convert::Infallible;
use std::fmt;
use std::marker::PhantomData;

use futures_util::FutureExt;

use crate::component::Hooks;
use crate::error::MultiError;
use crate::hook::HookType;
use crate::run::{run_staged, Staged};

/// A method-level hook point, declared with [`stage!`](crate::stage): the argument types its
/// method takes (owned forms), its value and its error.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a stage",
    label = "not declared with `stage!`",
    note = "declare stages with `stage!(pub Forward(Input) -> Result<Output, Error>)`; hook types (`hook_type!`) are attached with `#[hook(..)]`"
)]
pub trait Stage: 'static {
    /// The arguments as observers see them: a tuple of owned values.
    type Args: Send + Sync + 'static;
    /// The value of a successful call (what [`After`] observers see).
    type Output: Send + Sync + 'static;
    /// The error of a failed call (what [`OnError`] observers see); `Infallible` for a stage
    /// declared without `Result`.
    type Error: Send + Sync + 'static;
    /// What the method returns: `Result<Output, Error>`, or `Output`.
    type Return;
    /// The stage's name, as written.
    const NAME: &'static str;
    /// A process-unique key (`module_path!()::Name`), shared by the three events: providing the
    /// stage provides all three.
    const KEY: &'static str;
    /// The events' names: `["Forward.BEFORE", "Forward.AFTER", "Forward.ERROR"]`.
    const EVENTS: [&'static str; 3];

    /// Splits what the method returned.
    fn into_result(ret: Self::Return) -> Result<Self::Output, Self::Error>;
    /// Puts it back together.
    fn from_result(result: Result<Self::Output, Self::Error>) -> Self::Return;
    /// What a vetoed call returns; `None` when the stage cannot fail.
    fn vetoed(veto: Vetoed) -> Option<Self::Return>;
}

/// Declares a stage: its name, the (owned) types of its method's arguments, and its return type.
///
/// A fallible stage spells its return type `Result<T, E>` (in full, not through an alias), and
/// its error type implements `From<Vetoed>`, so that a BEFORE observer can veto the call.
///
/// ```
/// use hooks_core::{stage, Stage, Vetoed};
///
/// #[derive(Debug)]
/// pub struct NodeError(String);
/// impl From<Vetoed> for NodeError {
///     fn from(v: Vetoed) -> Self { NodeError(v.to_string()) }
/// }
///
/// stage!(
///     /// The core computation of a node.
///     pub Forward(String, u32) -> Result<usize, NodeError>
/// );
/// stage!(pub Build);                    // no argument, returns ()
/// stage!(pub Score(Vec<f64>) -> f64);   // infallible
///
/// assert_eq!(Forward::EVENTS, ["Forward.BEFORE", "Forward.AFTER", "Forward.ERROR"]);
/// ```
#[macro_export]
macro_rules! stage {
    (@emit [$($meta:tt)*] $vis:vis $name:ident [$($arg:ty),*] [$ok:ty] [$err:ty] $kind:ident) => {
        $($meta)*
        #[derive(Debug)]
        $vis enum $name {}

        impl $crate::Stage for $name {
            type Args = ($($arg,)*);
            type Output = $ok;
            type Error = $err;
            type Return = $crate::stage!(@return $kind $ok, $err);
            const NAME: &'static str = ::core::stringify!($name);
            const KEY: &'static str = ::core::concat!(::core::module_path!(), "::", ::core::stringify!($name));
            const EVENTS: [&'static str; 3] = [
                ::core::concat!(::core::stringify!($name), ".BEFORE"),
                ::core::concat!(::core::stringify!($name), ".AFTER"),
                ::core::concat!(::core::stringify!($name), ".ERROR"),
            ];
            $crate::stage!(@split $kind $ok, $err);
        }

        impl $crate::__private::ProvidedKey for $name {
            const KEY: &'static str = <$name as $crate::Stage>::KEY;
        }
    };
    (@return fallible $ok:ty, $err:ty) => { ::core::result::Result<$ok, $err> };
    (@return infallible $ok:ty, $err:ty) => { $ok };
    (@split fallible $ok:ty, $err:ty) => {
        fn into_result(ret: Self::Return) -> ::core::result::Result<$ok, $err> {
            ret
        }
        fn from_result(result: ::core::result::Result<$ok, $err>) -> Self::Return {
            result
        }
        fn vetoed(veto: $crate::Vetoed) -> ::core::option::Option<Self::Return> {
            ::core::option::Option::Some(::core::result::Result::Err(<$err as ::core::convert::From<$crate::Vetoed>>::from(veto)))
        }
    };
    (@split infallible $ok:ty, $err:ty) => {
        fn into_result(ret: Self::Return) -> ::core::result::Result<$ok, $err> {
            ::core::result::Result::Ok(ret)
        }
        fn from_result(result: ::core::result::Result<$ok, $err>) -> Self::Return {
            match result {
                ::core::result::Result::Ok(value) => value,
                ::core::result::Result::Err(never) => match never {},
            }
        }
        fn vetoed(_: $crate::Vetoed) -> ::core::option::Option<Self::Return> {
            ::core::option::Option::None
        }
    };
    ($(#[$meta:meta])* $vis:vis $name:ident $(( $($arg:ty),* $(,)? ))? -> Result<$ok:ty, $err:ty> $(,)?) => {
        $crate::stage!(@emit [$(#[$meta])*] $vis $name [$($($arg),*)?] [$ok] [$err] fallible);
    };
    ($(#[$meta:meta])* $vis:vis $name:ident $(( $($arg:ty),* $(,)? ))? -> $ret:ty $(,)?) => {
        $crate::stage!(@emit [$(#[$meta])*] $vis $name [$($($arg),*)?] [$ret] [::core::convert::Infallible] infallible);
    };
    ($(#[$meta:meta])* $vis:vis $name:ident $(( $($arg:ty),* $(,)? ))? $(,)?) => {
        $crate::stage!(@emit [$(#[$meta])*] $vis $name [$($($arg),*)?] [()] [::core::convert::Infallible] infallible);
    };
}

/// The BEFORE event of stage `S`: observers receive the arguments, `&S::Args`, and may veto the
/// call with `Control::Stop`.
pub struct Before<S>(PhantomData<fn() -> S>, Infallible);

/// The AFTER event of stage `S`: observers receive [`Returned`]: the value and the arguments.
pub struct After<S>(PhantomData<fn() -> S>, Infallible);

/// The ERROR event of stage `S`: observers receive [`Raised`]: the error and the arguments.
pub struct OnError<S>(PhantomData<fn() -> S>, Infallible);

impl<S: Stage> HookType for Before<S> {
    type Arg = S::Args;
    const NAME: &'static str = S::EVENTS[0];
    const KEY: &'static str = S::KEY;
}

impl<S: Stage> HookType for After<S> {
    type Arg = Returned<S>;
    const NAME: &'static str = S::EVENTS[1];
    const KEY: &'static str = S::KEY;
}

impl<S: Stage> HookType for OnError<S> {
    type Arg = Raised<S>;
    const NAME: &'static str = S::EVENTS[2];
    const KEY: &'static str = S::KEY;
}

impl<S> fmt::Debug for Before<S> {
    fn fmt(&self, _: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.1 {}
    }
}

impl<S> fmt::Debug for After<S> {
    fn fmt(&self, _: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.1 {}
    }
}

impl<S> fmt::Debug for OnError<S> {
    fn fmt(&self, _: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.1 {}
    }
}

/// What [`After`] observers receive: the method's value and (copies of) its arguments.
pub struct Returned<S: Stage> {
    /// The value (for `Result<T, E>`, the `T`).
    pub output: S::Output,
    /// The arguments.
    pub args: S::Args,
}

/// What [`OnError`] observers receive: the method's error and (copies of) its arguments.
pub struct Raised<S: Stage> {
    /// The error.
    pub error: S::Error,
    /// The arguments.
    pub args: S::Args,
}

impl<S: Stage> fmt::Debug for Returned<S>
where
    S::Output: fmt::Debug,
    S::Args: fmt::Debug,
{
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Returned").field("output", &self.output).field("args", &self.args).finish()
    }
}

impl<S: Stage> fmt::Debug for Raised<S>
where
    S::Error: fmt::Debug,
    S::Args: fmt::Debug,
{
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Raised").field("error", &self.error).field("args", &self.args).finish()
    }
}

/// A call refused by a BEFORE observer: what a vetoed fallible stage returns, converted into its
/// error type with `From`.
///
/// ```
/// use hooks_core::Vetoed;
/// let v = Vetoed::new("Forward", "guard", "input too large");
/// assert_eq!(v.to_string(), "stage `Forward` vetoed by `guard`: input too large");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Vetoed {
    stage: &'static str,
    observer: Cow<'static, str>,
    reason: String,
}

impl Vetoed {
    /// A veto of `stage` by the observer `observer`, for `reason`.
    pub fn new(stage: &'static str, observer: impl Into<Cow<'static, str>>, reason: impl Into<String>) -> Self {
        Vetoed { stage, observer: observer.into(), reason: reason.into() }
    }

    /// The stage's name.
    pub fn stage(&self) -> &'static str {
        self.stage
    }

    /// The observer that vetoed (its method or attached name).
    pub fn observer(&self) -> &str {
        &self.observer
    }

    /// The reason it gave.
    pub fn reason(&self) -> &str {
        &self.reason
    }
}

impl fmt::Display for Vetoed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "stage `{}` vetoed by `{}`: {}", self.stage, self.observer, self.reason)
    }
}

impl std::error::Error for Vetoed {}

/// A `#[stage]` method's arguments (as owned values) or return type, checked against its stage's
/// declaration: implemented only for the same type, so a method that does not match gets one
/// message naming both.
#[doc(hidden)]
#[diagnostic::on_unimplemented(
    message = "this `#[stage]` method does not match its stage: it has `{Self}`, the stage declares `{T}`",
    label = "does not match the stage's `stage!` declaration",
    note = "arguments are compared as owned types, in order (a method may take `&T` or `&str` where the stage declares `T` or `String`); the return type as written"
)]
pub trait Matches<T> {
    /// As the stage's type.
    fn into_stage(self) -> T;
    /// Back from it.
    fn from_stage(value: T) -> Self;
}

impl<T> Matches<T> for T {
    #[inline]
    fn into_stage(self) -> T {
        self
    }
    #[inline]
    fn from_stage(value: T) -> Self {
        value
    }
}

/// The copies of a stage method's arguments, as the stage's `Args`. Generated code only.
#[doc(hidden)]
#[inline]
pub fn args<S: Stage, A: Matches<S::Args>>(args: A) -> S::Args {
    args.into_stage()
}

/// Which of a stage's events have observers on one instance. Generated code only.
#[doc(hidden)]
#[derive(Debug, Clone, Copy)]
pub struct Watch {
    pub before: bool,
    pub after: bool,
    pub error: bool,
}

impl Watch {
    /// Whether any event is observed (the arguments are then copied).
    #[inline]
    pub fn any(&self) -> bool {
        self.before || self.after || self.error
    }
}

/// The observed events of stage `S` on `this`: static observers in its table, attached ones in
/// its store.
#[doc(hidden)]
#[inline]
pub fn watch<R: Hooks, S: Stage>(this: &R) -> Watch {
    let ids =
        [std::any::TypeId::of::<Before<S>>(), std::any::TypeId::of::<After<S>>(), std::any::TypeId::of::<OnError<S>>()];
    let table = R::__hooks_table();
    let mut seen = [!table.of(ids[0]).is_empty(), !table.of(ids[1]).is_empty(), !table.of(ids[2]).is_empty()];
    if let Some(store) = this.__hooks_attached() {
        if !store.is_empty() {
            let root = std::any::TypeId::of::<R>();
            for (seen, id) in seen.iter_mut().zip(ids) {
                *seen = *seen || store.has(root, id);
            }
        }
    }
    Watch { before: seen[0], after: seen[1], error: seen[2] }
}

/// Runs the BEFORE observers; `Some` when one vetoed a stage that can say so.
#[doc(hidden)]
pub fn before<R: Hooks, S: Stage, M: Matches<S::Return>>(this: &mut R, args: &S::Args) -> Option<M> {
    let staged = run_sync::<R, Before<S>>(this, args);
    let (observer, reason) = staged.stopped?;
    let veto = Vetoed::new(S::NAME, observer, reason);
    match S::vetoed(veto.clone()) {
        Some(ret) => Some(M::from_stage(ret)),
        None => {
            tracing::warn!(component = R::NAME, %veto, "an infallible stage cannot be vetoed; the method runs");
            None
        }
    }
}

/// Runs the AFTER or ERROR observers on what the method returned, then gives it back.
#[doc(hidden)]
pub fn after<R: Hooks, S: Stage, M: Matches<S::Return>>(this: &mut R, watch: &Watch, ret: M, args: S::Args) -> M {
    M::from_stage(observe_result::<R, S>(this, watch, ret.into_stage(), args))
}

fn observe_result<R: Hooks, S: Stage>(this: &mut R, watch: &Watch, ret: S::Return, args: S::Args) -> S::Return {
    match S::into_result(ret) {
        Ok(output) if watch.after => {
            let returned = Returned::<S> { output, args };
            run_sync::<R, After<S>>(this, &returned);
            S::from_result(Ok(returned.output))
        }
        Err(error) if watch.error => {
            let raised = Raised::<S> { error, args };
            run_sync::<R, OnError<S>>(this, &raised);
            S::from_result(Err(raised.error))
        }
        result => S::from_result(result),
    }
}

/// Runs the hooks of `H` at once (stage observers are plain functions) and logs their failures.
fn run_sync<R: Hooks, H: HookType>(this: &mut R, arg: &H::Arg) -> Staged {
    match run_staged::<R, H>(this, arg).now_or_never() {
        Some(staged) => {
            log_failures::<R, H>(&staged.errors);
            staged
        }
        None => {
            tracing::warn!(
                component = R::NAME,
                event = H::NAME,
                "an async observer of a stage did not finish at once and was dropped; stage observers are plain fns"
            );
            Staged::default()
        }
    }
}

fn log_failures<R: Hooks, H: HookType>(errors: &MultiError) {
    for error in errors.errors() {
        tracing::warn!(component = R::NAME, event = H::NAME, %error, "a stage observer failed");
    }
}
