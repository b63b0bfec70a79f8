//! Hook types: the [`HookType`] trait, the built-in markers and [`hook_type!`](crate::hook_type).

use std::any::{Any, TypeId};
use std::time::Duration;

use crate::params::ParamValue;
use crate::state::{LifecycleState, StopReason};

/// What a run does when one of its hooks fails.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorPolicy {
    /// The first failure ends the run and is returned (startup hooks: continuing would leave a
    /// half-started component).
    FailFast,
    /// Every hook runs; every failure comes back, in execution order, in one
    /// [`MultiError`](crate::MultiError).
    CollectAll,
}

/// A kind of hook: `OnInit`, `OnMessage`, or one declared with [`hook_type!`](crate::hook_type).
///
/// A hook type is a marker type; it is never constructed. It names what each hook receives
/// ([`HookType::Arg`], by reference) and what a run does on failure ([`HookType::POLICY`]).
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a hook type",
    label = "not declared with `hook_type!`",
    note = "`#[hook(..)]` and `run_hooks::<..>()` take a hook type: a built-in one (`OnInit`, `OnStart`, ..) or one declared with `hook_type!(pub MyHook)` (`hook_type!(pub MyHook(Arg))` for hooks that receive `&Arg`)"
)]
pub trait HookType: 'static {
    /// What every hook of this type receives by reference (`()` for nothing).
    type Arg: Send + Sync + 'static;
    /// The short name, as written by users (`"OnInit"`).
    const NAME: &'static str;
    /// A process-unique key (`module_path!()::Name`), compared at compile time to check that a
    /// component provides this hook type.
    const KEY: &'static str;
    /// What a run of these hooks does on failure.
    const POLICY: ErrorPolicy = ErrorPolicy::CollectAll;
    /// How many past arguments a component keeps so that a plain-`fn` hook attached later is
    /// called at once with each of them, oldest first (pluggy's `historic`); 0 keeps none.
    /// `hook_type!(.., historic)` keeps the last 64 (the argument type must be `Clone`).
    const HISTORY: usize = 0;
    /// A copy of `arg` to keep, for historic hook types.
    fn remember(_arg: &Self::Arg) -> Option<Remembered> {
        None
    }
    /// What the params of a hook of this type are: checked (and for message types, made into
    /// routing keys) when a hook is attached at run time; the attributes check static ones.
    const PARAMS: ParamKind = ParamKind::Any;
}

/// What the params of a hook type are ([`HookType::PARAMS`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ParamKind {
    /// Any values (custom hook types).
    Any,
    /// Message types that route messages to the hook (`OnMessage`, `OnCommand`, `OnRequest`,
    /// `OnPullMessage`; `hook_type!(.., routes)`): values given to `attach_hook` become keys.
    MessageTypes,
    /// At most one [`TaskSpec`] (`BackgroundTask`).
    Task,
}

impl ParamKind {
    /// `params` checked for a hook of this kind: message types made into keys; anything a
    /// background task cannot take refused, with the reason.
    pub(crate) fn check(self, params: Vec<ParamValue>) -> Result<Vec<ParamValue>, String> {
        match self {
            ParamKind::Any => Ok(params),
            ParamKind::MessageTypes => std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                params.into_iter().map(ParamValue::into_key).collect()
            }))
            .map_err(|payload| {
                format!("a message type's `Debug` panicked: {}", crate::error::panic_message(&*payload))
            }),
            ParamKind::Task => match &params[..] {
                [] => Ok(params),
                [one] if one.downcast_ref::<TaskSpec>().is_some() => Ok(params),
                _ => Err(format!(
                    "a background task takes one `TaskSpec` as its params (or none, for the defaults), not {params:?}"
                )),
            },
        }
    }
}

/// Declares a custom hook type, optionally carrying a typed argument.
///
/// ```
/// use hooks_core::{hook_type, HookType, ErrorPolicy};
///
/// pub struct WorkerStats { pub busy: u32 }
///
/// hook_type!(
///     /// Called whenever a worker reports its statistics.
///     pub OnWorkerUpdate(WorkerStats)
/// );
/// hook_type!(pub OnReady);                      // no argument
/// hook_type!(pub OnPreflight, fail_fast);       // the first failure ends the run
/// hook_type!(pub OnConfig(String), historic);    // hooks attached later replay the last 64 events
///
/// assert_eq!(OnWorkerUpdate::NAME, "OnWorkerUpdate");
/// assert_eq!(OnPreflight::POLICY, ErrorPolicy::FailFast);
/// assert_eq!(OnConfig::HISTORY, 64);
/// ```
///
/// Hooks of the type receive `&WorkerStats`; they are run with `run_hooks_with::<OnWorkerUpdate>(&stats)`.
#[macro_export]
macro_rules! hook_type {
    ($(#[$meta:meta])* $vis:vis $name:ident $(($arg:ty))? $(, $flag:ident)* $(,)?) => {
        $(#[$meta])*
        #[derive(Debug)]
        $vis enum $name {}

        impl $crate::HookType for $name {
            type Arg = $crate::hook_type!(@arg $($arg)?);
            const NAME: &'static str = ::core::stringify!($name);
            const KEY: &'static str = ::core::concat!(::core::module_path!(), "::", ::core::stringify!($name));
            $($crate::hook_type!(@flag $flag);)*
        }
    };
    (@arg) => { () };
    (@arg $arg:ty) => { $arg };
    (@flag fail_fast) => { const POLICY: $crate::ErrorPolicy = $crate::ErrorPolicy::FailFast; };
    (@flag collect_all) => { const POLICY: $crate::ErrorPolicy = $crate::ErrorPolicy::CollectAll; };
    (@flag routes) => { const PARAMS: $crate::ParamKind = $crate::ParamKind::MessageTypes; };
    (@flag task) => { const PARAMS: $crate::ParamKind = $crate::ParamKind::Task; };
    (@flag historic) => {
        const HISTORY: usize = 64;
        fn remember(arg: &Self::Arg) -> ::core::option::Option<$crate::Remembered> {
            ::core::option::Option::Some(::std::sync::Arc::new(::core::clone::Clone::clone(arg)))
        }
    };
}

/// A past argument of a historic hook type, kept for hooks attached later.
pub type Remembered = std::sync::Arc<dyn std::any::Any + Send + Sync>;

hook_type!(
    /// Runs during `initialize()`, base first. Fail-fast.
    pub OnInit, fail_fast
);
hook_type!(
    /// Runs during `start()`, base first. Fail-fast.
    pub OnStart, fail_fast
);
hook_type!(
    /// Runs during `stop()`, in the exact reverse of start order; a hook may take `&StopReason`.
    pub OnStop(StopReason)
);
hook_type!(
    /// Runs on every lifecycle transition with `(old, new)`.
    pub OnStateChange(StateChange)
);
hook_type!(
    /// A periodic or one-shot task started when the component is running; its params are a [`TaskSpec`].
    pub BackgroundTask, task
);

/// The argument of [`OnStateChange`] hooks: the state left and the state entered.
///
/// A hook method receives it spread as two arguments: `fn changed(&mut self, old: LifecycleState, new: LifecycleState)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct StateChange {
    /// The state left.
    pub old: LifecycleState,
    /// The state entered.
    pub new: LifecycleState,
}

/// The parameters of a [`BackgroundTask`] hook, as written in `#[background_task(..)]`.
///
/// `Debug` and `Display` print it as the attribute's arguments:
///
/// ```
/// use std::time::Duration;
/// use hooks_core::TaskSpec;
///
/// let spec = TaskSpec { interval: Some(Duration::from_millis(300)), ..TaskSpec::default() };
/// assert_eq!(spec.to_string(), "interval = 300ms, immediate = true, stop_on_error = false");
/// assert_eq!(format!("{:?}", TaskSpec::default()), "TaskSpec(once, immediate = true, stop_on_error = false)");
/// ```
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct TaskSpec {
    /// Time between the end of one run and the start of the next; `None` runs once.
    pub interval: Option<Duration>,
    /// Run once at start instead of after one interval.
    pub immediate: bool,
    /// End the task at its first error instead of logging it and going on.
    pub stop_on_error: bool,
}

impl std::fmt::Display for TaskSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.interval {
            Some(interval) => write!(f, "interval = {interval:?}, ")?,
            None => f.write_str("once, ")?,
        }
        write!(f, "immediate = {}, stop_on_error = {}", self.immediate, self.stop_on_error)
    }
}

impl std::fmt::Debug for TaskSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "TaskSpec({self})")
    }
}

impl Default for TaskSpec {
    fn default() -> Self {
        TaskSpec { interval: None, immediate: true, stop_on_error: false }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    hook_type!(pub(crate) Local(u8));

    #[test]
    fn keys_are_unique_per_module_and_names_are_short() {
        assert_eq!(OnInit::NAME, "OnInit");
        assert!(OnInit::KEY.ends_with("::OnInit"));
        assert_ne!(OnInit::KEY, OnStart::KEY);
        assert_eq!(Local::NAME, "Local");
        assert!(Local::KEY.starts_with("hooks_core::hook::tests"));
    }

    #[test]
    fn startup_hooks_fail_fast_and_others_collect_all() {
        assert_eq!(OnInit::POLICY, ErrorPolicy::FailFast);
        assert_eq!(OnStart::POLICY, ErrorPolicy::FailFast);
        assert_eq!(OnStop::POLICY, ErrorPolicy::CollectAll);
        assert_eq!(OnStateChange::POLICY, ErrorPolicy::CollectAll);
        assert_eq!(BackgroundTask::POLICY, ErrorPolicy::CollectAll);
        assert_eq!(Local::POLICY, ErrorPolicy::CollectAll);
    }
}

/// A hook type, erased: what attaching and running need to know of it. One `static` per hook
/// type ([`HookId::of`]): a run holds a reference, not a copy.
#[derive(Debug, Clone, Copy)]
pub(crate) struct HookId {
    /// `TypeId::of::<H>` (a function: `TypeId::of` is not `const` yet).
    type_id: fn() -> TypeId,
    pub(crate) name: &'static str,
    pub(crate) key: &'static str,
    pub(crate) params: ParamKind,
    pub(crate) policy: ErrorPolicy,
    /// [`HookType::HISTORY`].
    pub(crate) history: usize,
    /// [`HookType::remember`], the argument erased.
    pub(crate) remember: fn(&dyn Any) -> Option<Remembered>,
}

impl HookId {
    /// The hook type `H`, erased.
    #[inline]
    pub(crate) fn of<H: HookType>() -> &'static HookId {
        &<H as Erased>::ID
    }

    /// The hook type's `TypeId`.
    #[inline]
    pub(crate) fn id(&self) -> TypeId {
        (self.type_id)()
    }
}

/// Each hook type's [`HookId`], as a constant (so that `HookId::of` gives a `'static` reference).
trait Erased: HookType {
    const ID: HookId;
}

impl<H: HookType> Erased for H {
    const ID: HookId = HookId {
        type_id: TypeId::of::<H>,
        name: H::NAME,
        key: H::KEY,
        params: H::PARAMS,
        policy: H::POLICY,
        history: H::HISTORY,
        remember: remember::<H>,
    };
}

fn remember<H: HookType>(arg: &dyn Any) -> Option<Remembered> {
    arg.downcast_ref::<H::Arg>().and_then(H::remember)
}
