//! Callbacks built by name from configuration (the `config` feature): what `#[callback(name = "..")]`
//! registers ([`CallbackFactory`], collected by `inventory`), [`build_callback`], the
//! [`CallbackConfig`] a TOML or JSON document is read into, and [`ConfigError`].

use std::any::{Any, TypeId};
use std::borrow::Cow;
use std::fmt;

use rustc_hash::FxHashSet;
use serde::de::DeserializeOwned;
use serde::Deserialize;

use super::{add, settle, CallbackHost, USER_CALLBACK_PRIORITY};
use crate::attach::AttachedHooks;
use crate::error::{Excerpt, HookError};

/// `Callbacks::add_callbacks_from_config`.
pub(super) fn add_all<R: CallbackHost>(host: &mut R, config: &CallbackConfig) -> Result<Vec<String>, ConfigError> {
    let mut built = Vec::new();
    let mut seen = FxHashSet::default();
    for entry in config.callbacks.iter().filter(|e| e.enabled) {
        if !seen.insert(entry.id()) {
            return Err(ConfigError::Duplicate { id: entry.id().to_owned() });
        }
        built.push((entry.id().to_owned(), build_callback::<R::Callback>(&entry.name, &entry.settings)?));
    }
    // A callback the host refuses after others were attached: back to the state before.
    let checkpoint = host.__hooks_attached_mut().map(AttachedHooks::checkpoint);
    let mut ids = Vec::with_capacity(built.len());
    for (id, callback) in built {
        if let Err(source) = add(host, Cow::Owned(id.clone()), callback, USER_CALLBACK_PRIORITY) {
            settle(host, checkpoint, false);
            return Err(ConfigError::Attach { id, source });
        }
        ids.push(id);
    }
    settle(host, checkpoint, true);
    Ok(ids)
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
