//! Callback objects: a trait with default no-op methods for a family of events (a training loop's
//! `on_epoch_end`, `on_exception`, …), implemented by user structs and registered on the
//! component that emits the events (its *host*), directly or by name from a configuration.
//!
//! A callback is not a second dispatcher: registering one attaches one named hook per event to the
//! host (the glue is [`CallbackHost::attach_callback`], one line per event), so callbacks are
//! ordered, reported, timed, disabled and removed like every other hook, and the host runs them
//! with `run_hooks_report::<OnEpochEnd>(..)`.
//!
//! Rules:
//! - Order: user callbacks (`add_callback`, `add_callbacks_from_config`) before built-in ones
//!   (`add_builtin_callback`), each group in registration order; static hooks of the host with
//!   priority 0 run before user callbacks.
//! - A callback's hooks are named after its id (its name unless the configuration gives an `id`):
//!   a failure is reported as `Host::<id> (<Event>)`; adding an id again replaces that callback.
//! - A callback that returns `Control::Stop` ends the event's run (later callbacks are reported as
//!   not reached) and the host sees it in the report (`RunReport::stopped`): an early stop.
//! - Callbacks share state through the host they are given (`&mut Host`).
//! - By name: `#[callback(name = "early_stopping")]` on `impl TrainerCallback for EarlyStopping`
//!   registers a constructor that builds the struct from its settings with serde; a
//!   [`CallbackConfig`] (TOML or JSON) lists names with settings.

use std::any::{Any, TypeId};
use std::borrow::Cow;
use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};

use rustc_hash::FxHashSet;
use serde::de::DeserializeOwned;
use serde::Deserialize;

use crate::attach::{AttachedHooks, Checkpoint, HookSpec};
use crate::component::{Hooks, HooksMixin};
use crate::error::{Excerpt, HookError};
use crate::hook::HookType;
use crate::shim::IntoHookResult;

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

/// Registering callbacks on a [`CallbackHost`]: directly, as built-ins, or from configuration.
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
    fn add_callbacks_from_config(&mut self, config: &CallbackConfig) -> Result<Vec<String>, ConfigError> {
        let mut built = Vec::new();
        let mut seen = FxHashSet::default();
        for entry in config.callbacks.iter().filter(|e| e.enabled) {
            if !seen.insert(entry.id()) {
                return Err(ConfigError::Duplicate { id: entry.id().to_owned() });
            }
            built.push((entry.id().to_owned(), build_callback::<Self::Callback>(&entry.name, &entry.settings)?));
        }
        // A callback the host refuses after others were attached: back to the state before.
        let checkpoint = self.__hooks_attached_mut().map(AttachedHooks::checkpoint);
        let mut ids = Vec::with_capacity(built.len());
        for (id, callback) in built {
            if let Err(source) = add(self, Cow::Owned(id.clone()), callback, USER_CALLBACK_PRIORITY) {
                settle(self, checkpoint, false);
                return Err(ConfigError::Attach { id, source });
            }
            ids.push(id);
        }
        settle(self, checkpoint, true);
        Ok(ids)
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

/// A constructor registered by `#[callback(name = "..")]`. Built only by generated code.
#[doc(hidden)]
pub struct CallbackFactory {
    /// The family's `TypeId` (`dyn TrainerCallback`).
    pub family: fn() -> TypeId,
    /// The family trait's name.
    pub family_name: &'static str,
    /// The name configurations use.
    pub name: &'static str,
    /// The struct built.
    pub type_name: &'static str,
    /// Builds a `Box<Box<F>>`, erased.
    pub build: fn(&serde_json::Value) -> Result<Box<dyn Any + Send>, String>,
}

inventory::collect!(CallbackFactory);

/// Deserializes `T` from `settings` and boxes it as the family `F`. Generated code only.
#[doc(hidden)]
pub fn build_from_settings<F: ?Sized + 'static, T: DeserializeOwned>(
    settings: &serde_json::Value,
    into: fn(T) -> Box<F>,
) -> Result<Box<dyn Any + Send>, String>
where
    Box<F>: Send,
{
    let value = match T::deserialize(settings) {
        Ok(value) => value,
        // A callback without settings may be a unit struct (`struct Progress;`), which serde
        // builds from unit, not from the empty table of an entry without settings.
        Err(error) => match settings.as_object() {
            Some(table) if table.is_empty() => {
                T::deserialize(&serde_json::Value::Null).map_err(|_| error.to_string())?
            }
            _ => return Err(error.to_string()),
        },
    };
    Ok(Box::new(into(value)))
}

/// The names registered with `#[callback(name = "..")]` for the family `F`, sorted.
///
/// ```
/// # trait Family: Send {}
/// assert!(hooks_core::callback_names::<dyn Family>().is_empty());
/// ```
pub fn callback_names<F: ?Sized + 'static>() -> Vec<&'static str> {
    let family = TypeId::of::<F>();
    let mut names: Vec<&'static str> =
        inventory::iter::<CallbackFactory>.into_iter().filter(|f| (f.family)() == family).map(|f| f.name).collect();
    names.sort_unstable();
    names.dedup();
    names
}

/// Builds the callback registered as `name` for the family `F` from `settings` (a JSON value; a
/// TOML table converts into one).
pub fn build_callback<F: ?Sized + 'static>(name: &str, settings: &serde_json::Value) -> Result<Box<F>, ConfigError> {
    let family = TypeId::of::<F>();
    let factory = inventory::iter::<CallbackFactory>
        .into_iter()
        .find(|f| (f.family)() == family && f.name == name)
        .ok_or_else(|| ConfigError::UnknownCallback {
            name: name.to_owned(),
            family: std::any::type_name::<F>(),
            known: callback_names::<F>(),
        })?;
    let built = (factory.build)(settings).map_err(|message| ConfigError::BadSettings {
        name: name.to_owned(),
        type_name: factory.type_name,
        message,
    })?;
    built.downcast::<Box<F>>().map(|b| *b).map_err(|_| ConfigError::BadSettings {
        name: name.to_owned(),
        type_name: factory.type_name,
        message: format!("its constructor does not build a {}", factory.family_name),
    })
}

/// A list of callbacks to build by name, in order, with their settings: the `callbacks` key of a
/// configuration file. Deserializable from any serde format, or read with
/// [`from_toml`](Self::from_toml) / [`from_json`](Self::from_json).
///
/// ```
/// use hooks_core::CallbackConfig;
/// let config = CallbackConfig::from_toml(r#"
///     [[callbacks]]
///     name = "loss_alert"
///     settings = { threshold = 2.5 }
///
///     [[callbacks]]
///     name = "progress"
///     id = "progress-every-2"
///     enabled = false
/// "#).unwrap();
/// assert_eq!(config.callbacks.len(), 2);
/// assert_eq!(config.callbacks[0].settings["threshold"], 2.5);
/// assert_eq!(config.callbacks[1].id(), "progress-every-2");
/// ```
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CallbackConfig {
    /// The callbacks, in registration order.
    #[serde(default)]
    pub callbacks: Vec<CallbackEntry>,
}

/// One callback of a [`CallbackConfig`].
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CallbackEntry {
    /// The name it was registered under (`#[callback(name = "..")]`).
    pub name: String,
    /// Its id (the name of its hooks); its name when absent.
    #[serde(default)]
    pub id: Option<String>,
    /// Whether to build it (default true).
    #[serde(default = "yes")]
    pub enabled: bool,
    /// Its settings, deserialized into the callback's struct (an empty table when absent).
    #[serde(default = "empty_table")]
    pub settings: serde_json::Value,
}

fn yes() -> bool {
    true
}

fn empty_table() -> serde_json::Value {
    serde_json::Value::Object(serde_json::Map::new())
}

impl CallbackEntry {
    /// Its id: the `id` given, else its name.
    pub fn id(&self) -> &str {
        self.id.as_deref().unwrap_or(&self.name)
    }
}

impl CallbackConfig {
    /// Reads a TOML document with a `[[callbacks]]` array.
    pub fn from_toml(text: &str) -> Result<Self, ConfigError> {
        toml::from_str(text).map_err(|e| ConfigError::Parse { format: "TOML", message: e.to_string() })
    }

    /// Reads a JSON document `{"callbacks": [..]}`.
    pub fn from_json(text: &str) -> Result<Self, ConfigError> {
        serde_json::from_str(text).map_err(|e| ConfigError::Parse { format: "JSON", message: e.to_string() })
    }
}

/// Why callbacks could not be built from a configuration.
#[derive(thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// The document is not valid.
    #[error("invalid {format} callback configuration: {}", Excerpt::message(.message))]
    Parse {
        /// `"TOML"` or `"JSON"`.
        format: &'static str,
        /// The parser's message (with the line).
        message: String,
    },
    /// No callback of the family is registered under that name.
    #[error("unknown callback `{}` for {family}; known callbacks: {}", Excerpt::new(.name), known_list(.known))]
    UnknownCallback {
        /// The name asked for.
        name: String,
        /// The family's type.
        family: &'static str,
        /// The names registered for the family.
        known: Vec<&'static str>,
    },
    /// The settings do not fit the callback's struct.
    #[error("bad settings for callback `{}` ({type_name}): {}", Excerpt::new(.name), Excerpt::message(.message))]
    BadSettings {
        /// The callback's name.
        name: String,
        /// Its struct.
        type_name: &'static str,
        /// What serde said.
        message: String,
    },
    /// Two entries have the same id.
    #[error("two callbacks have the id `{}`; give one of them another `id`", Excerpt::new(.id))]
    Duplicate {
        /// The id.
        id: String,
    },
    /// The host refused a callback's hooks.
    #[error("callback `{}` could not be attached: {source}", Excerpt::new(.id))]
    Attach {
        /// The callback's id.
        id: String,
        /// Why.
        #[source]
        source: HookError,
    },
}

fn known_list(known: &[&str]) -> String {
    if known.is_empty() {
        "none (is the crate that defines them linked?)".to_owned()
    } else {
        known.join(", ")
    }
}

impl fmt::Debug for ConfigError {
    /// As derived, with names and messages cut as [`Excerpt`] cuts them.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConfigError::Parse { format, message } => {
                f.debug_struct("Parse").field("format", format).field("message", &Excerpt::message(message)).finish()
            }
            ConfigError::UnknownCallback { name, family, known } => f
                .debug_struct("UnknownCallback")
                .field("name", &Excerpt::new(name))
                .field("family", family)
                .field("known", known)
                .finish(),
            ConfigError::BadSettings { name, type_name, message } => f
                .debug_struct("BadSettings")
                .field("name", &Excerpt::new(name))
                .field("type_name", type_name)
                .field("message", &Excerpt::message(message))
                .finish(),
            ConfigError::Duplicate { id } => f.debug_struct("Duplicate").field("id", &Excerpt::new(id)).finish(),
            ConfigError::Attach { id, source } => {
                f.debug_struct("Attach").field("id", &Excerpt::new(id)).field("source", source).finish()
            }
        }
    }
}

impl fmt::Debug for CallbackFactory {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CallbackFactory").field("name", &self.name).field("type", &self.type_name).finish()
    }
}
