//! Callback objects: a trait with default no-op methods for a family of events (a training loop's
//! `on_epoch_end`, `on_exception`, …), implemented by user structs and registered on the
//! component that emits the events (its *host*), directly or by name from a configuration.
//!
//! The rules it applies are documented in [`crate::rules::callbacks`].

use std::borrow::Cow;
use std::sync::{Arc, Mutex, PoisonError};

use crate::attach::{AttachedHooks, Checkpoint, HookSpec};
use crate::component::{Hooks, HooksMixin};
use crate::error::HookError;
use crate::hook::HookType;
use crate::shim::IntoHookResult;

// Building callbacks by name from configuration is the only user of serde, serde_json and toml:
// behind a feature, so a build that registers callbacks directly does not compile them (issue #13).
#[cfg(feature = "config")]
mod config;

/// What `#[callback(name = "..")]` expands to goes through this macro, because the proc macro
/// cannot see this crate's features: with `config` it emits the registration as given.
/// Generated code only.
#[cfg(feature = "config")]
#[doc(hidden)]
#[macro_export]
macro_rules! __callback_registration {
    ($($registration:tt)*) => {
        $($registration)*
    };
}

/// Without `config`, `#[callback(name = "..")]` is one error that names the feature. Not a
/// registration nothing can build: that would compile only until another crate of the build turns
/// `config` on and then asks the struct for `serde::Deserialize` (features must be additive).
#[cfg(not(feature = "config"))]
#[doc(hidden)]
#[macro_export]
macro_rules! __callback_registration {
    ($($registration:tt)*) => {
        ::core::compile_error!(
            "`#[callback(name = \"..\")]` registers a callback to build from configuration, which needs the `config` feature; enable it: `hooks-runtime = { version = \"..\", features = [\"config\"] }`"
        );
    };
}

#[cfg(feature = "config")]
pub use config::{
    build_callback, build_from_settings, callback_names, CallbackConfig, CallbackEntry, CallbackFactory, ConfigError,
};

/// The priority of user callbacks' hooks (lower runs first).
pub const USER_CALLBACK_PRIORITY: i32 = 0;
/// The priority of built-in callbacks' hooks: after every user callback.
pub const BUILTIN_CALLBACK_PRIORITY: i32 = 1_000_000;

/// A component that emits a family of callback events: it names the family's trait object type
/// and attaches a callback's methods as hooks, one line per event.
///
/// ```
/// use hooks_core::{hook_type, CallbackHost, CallbackResult, Control, HookError, HookSpec, SharedCallback};
/// # use hooks_core::__doc_component as component;
/// hook_type!(pub OnEpochEnd(u32));
/// # component!(Trainer, OnEpochEnd);
///
/// pub trait TrainerCallback: Send {
///     fn on_epoch_end(&mut self, _trainer: &mut Trainer, _epoch: &u32) -> CallbackResult {
///         Ok(Control::Continue)
///     }
/// }
///
/// impl CallbackHost for Trainer {
///     type Callback = dyn TrainerCallback;
///     fn attach_callback(&mut self, cb: &SharedCallback<dyn TrainerCallback>, spec: &HookSpec) -> Result<(), HookError> {
///         cb.attach::<OnEpochEnd, _, _>(self, spec, |cb, trainer, epoch| cb.on_epoch_end(trainer, epoch))
///     }
/// }
/// ```
pub trait CallbackHost: Hooks {
    /// The family: a trait object type such as `dyn TrainerCallback` (its trait has `Send` as a
    /// supertrait).
    type Callback: ?Sized + Send + 'static;

    /// Attaches each event method of `callback` as a hook of this host, with `spec` (its name and
    /// priority): `callback.attach::<OnEpochEnd, _, _>(self, spec, |cb, host, arg| cb.on_epoch_end(host, arg))?`.
    fn attach_callback(&mut self, callback: &SharedCallback<Self::Callback>, spec: &HookSpec) -> Result<(), HookError>;
}

/// What a callback method returns: `Ok(Control::Continue)`, `Ok(Control::stop(..))` for an early
/// stop, or an error (reported with the callback's name and the event).
pub type CallbackResult = Result<crate::Control, crate::BoxError>;

/// One callback object, shared by the hooks that call its methods (one per event).
pub struct SharedCallback<F: ?Sized> {
    inner: Arc<Mutex<Box<F>>>,
}

impl<F: ?Sized> Clone for SharedCallback<F> {
    fn clone(&self) -> Self {
        SharedCallback { inner: self.inner.clone() }
    }
}

impl<F: ?Sized + Send + 'static> SharedCallback<F> {
    /// Wraps a callback object.
    pub fn new(callback: Box<F>) -> Self {
        SharedCallback { inner: Arc::new(Mutex::new(callback)) }
    }

    /// Attaches the hook of type `H` that calls `method` on this callback with the host and the
    /// event's argument.
    pub fn attach<H, R, Out>(
        &self,
        host: &mut R,
        spec: &HookSpec,
        method: impl Fn(&mut F, &mut R, &H::Arg) -> Out + Send + Sync + 'static,
    ) -> Result<(), HookError>
    where
        H: HookType,
        R: crate::AttachStorage,
        Out: IntoHookResult,
    {
        let callback = self.clone();
        host.attach_hook_with::<H, _, _>(spec.clone(), move |host: &mut R, arg: &H::Arg| {
            // A callback that panicked poisoned its lock; the panic was reported, go on.
            let mut guard = callback.inner.lock().unwrap_or_else(PoisonError::into_inner);
            method(&mut **guard, host, arg)
        })
    }

    /// Runs `f` on the callback object (to read its state).
    pub fn with<T>(&self, f: impl FnOnce(&mut F) -> T) -> T {
        let mut guard = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        f(&mut **guard)
    }
}

/// Registering callbacks on a [`CallbackHost`]: directly, as built-ins, or from configuration (the
/// `config` feature).
pub trait Callbacks: CallbackHost {
    /// Registers a user callback under `id` (it runs before built-in callbacks, after the user
    /// callbacks registered before it); returns the shared handle. When the host refuses one of
    /// its events, none is left attached.
    fn add_callback(
        &mut self,
        id: impl Into<Cow<'static, str>>,
        callback: Box<Self::Callback>,
    ) -> Result<SharedCallback<Self::Callback>, HookError> {
        add(self, id.into(), callback, USER_CALLBACK_PRIORITY)
    }

    /// Registers a built-in callback under `id`: it runs after every user callback.
    fn add_builtin_callback(
        &mut self,
        id: impl Into<Cow<'static, str>>,
        callback: Box<Self::Callback>,
    ) -> Result<SharedCallback<Self::Callback>, HookError> {
        add(self, id.into(), callback, BUILTIN_CALLBACK_PRIORITY)
    }

    /// Builds every enabled callback `config` lists, by name (see [`build_callback`]), and
    /// registers them as user callbacks in the listed order. Nothing is registered when one fails.
    /// Needs the `config` feature.
    #[cfg(feature = "config")]
    fn add_callbacks_from_config(&mut self, config: &CallbackConfig) -> Result<Vec<String>, ConfigError> {
        config::add_all(self, config)
    }
}

impl<T: CallbackHost> Callbacks for T {}

fn add<R: CallbackHost>(
    host: &mut R,
    id: Cow<'static, str>,
    callback: Box<R::Callback>,
    priority: i32,
) -> Result<SharedCallback<R::Callback>, HookError> {
    let shared = SharedCallback::new(callback);
    // `attach_callback` attaches one hook per event: one refused after others were attached
    // would leave the callback half-registered.
    let checkpoint = host.__hooks_attached_mut().map(AttachedHooks::checkpoint);
    let attached = host.attach_callback(&shared, &HookSpec::new(id).priority(priority));
    settle(host, checkpoint, attached.is_ok());
    attached.map(|()| shared)
}

/// Ends a registration begun at `checkpoint`: keeps its hooks, or puts back the run-time hooks the
/// host had before.
fn settle<R: Hooks>(host: &mut R, checkpoint: Option<Checkpoint>, keep: bool) {
    if let (Some(checkpoint), Some(store)) = (checkpoint, host.__hooks_attached_mut()) {
        if keep {
            store.commit(checkpoint);
        } else {
            store.rollback(checkpoint);
        }
    }
}
