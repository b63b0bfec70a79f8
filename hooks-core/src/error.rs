//! Errors: one hook's failure ([`HookError`]) and every failure of one run ([`MultiError`]).

use std::borrow::Cow;
use std::fmt;
use std::time::Duration;

/// The error type a hook may return, boxed: any `std::error::Error + Send + Sync + 'static`
/// (and `String`/`&str`, which convert into it).
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// The cause a failed hook returned, shared so that errors can be cloned.
pub type SharedError = std::sync::Arc<dyn std::error::Error + Send + Sync + 'static>;

/// One hook's failure, naming the hook: its owner type, method (or attached name) and hook type.
#[derive(Clone)]
#[non_exhaustive]
pub enum HookError {
    /// The hook returned an error.
    Failed {
        /// The type that defines the hook.
        owner: &'static str,
        /// The method, or the name given to `attach_hook`.
        method: Cow<'static, str>,
        /// The hook type's name.
        hook_type: &'static str,
        /// What the hook returned: `std::error::Error::source` of this error is this error
        /// itself (not the `Arc`), so it downcasts to the hook's own error type.
        source: SharedError,
    },
    /// The hook panicked; the panic was caught.
    Panicked {
        /// The type that defines the hook.
        owner: &'static str,
        /// The method, or the name given to `attach_hook`.
        method: Cow<'static, str>,
        /// The hook type's name.
        hook_type: &'static str,
        /// The panic message (`"Box<dyn Any>"` when the payload was not a string).
        message: String,
    },
    /// The hook ran past its `timeout` and was cancelled.
    TimedOut {
        /// The type that defines the hook.
        owner: &'static str,
        /// The method, or the name given to `attach_hook`.
        method: Cow<'static, str>,
        /// The hook type's name.
        hook_type: &'static str,
        /// The budget that ran out.
        timeout: Duration,
    },
    /// A hook attached with params its hook type does not take (a background task given anything
    /// but a `TaskSpec`, a message type whose `Debug` panics) was refused.
    Refused {
        /// The component type.
        owner: &'static str,
        /// The name given to `attach_hook`.
        method: Cow<'static, str>,
        /// The hook type's name.
        hook_type: &'static str,
        /// What is wrong with them.
        reason: String,
    },
    /// A hook of a type the component does not provide was refused (`attach_hook`).
    Unsupported {
        /// The component type.
        owner: &'static str,
        /// The name given to `attach_hook`.
        method: Cow<'static, str>,
        /// The hook type's name.
        hook_type: &'static str,
    },
    /// No hook of that type has that name (`enable_hook`, `disable_hook`, `remove_hook`).
    UnknownHook {
        /// The component type.
        owner: &'static str,
        /// The name asked for.
        method: Cow<'static, str>,
        /// The hook type's name.
        hook_type: &'static str,
    },
    /// `before`/`after` constraints that contradict each other; the hook was not attached.
    OrderCycle {
        /// The component type.
        owner: &'static str,
        /// The hook that was refused.
        method: Cow<'static, str>,
        /// The hook type's name.
        hook_type: &'static str,
        /// The hooks of the cycle.
        cycle: Vec<String>,
    },
    /// A static hook cannot be removed at run time.
    StaticHook {
        /// The component type.
        owner: &'static str,
        /// The method.
        method: Cow<'static, str>,
        /// The hook type's name.
        hook_type: &'static str,
    },
    /// `attach_hook` on a component that has no [`AttachedHooks`](crate::AttachedHooks) to keep it in.
    NoAttachStorage {
        /// The component type.
        owner: &'static str,
        /// The name given to `attach_hook`.
        method: Cow<'static, str>,
        /// The hook type's name.
        hook_type: &'static str,
    },
    /// A recursive registration's selector can pick nothing; nothing was attached.
    BadSelector {
        /// The type of the node the registration was made on.
        owner: &'static str,
        /// The hook's name.
        method: Cow<'static, str>,
        /// The hook type's name.
        hook_type: &'static str,
        /// What is wrong with the selector.
        reason: String,
    },
}

impl fmt::Display for HookError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = Excerpt::new(self.method());
        match self {
            HookError::Failed { owner, hook_type, source, .. } => {
                write!(f, "hook `{owner}::{name}` ({hook_type}) failed: {source}")
            }
            HookError::Panicked { owner, hook_type, message, .. } => {
                write!(f, "hook `{owner}::{name}` ({hook_type}) panicked: {message}")
            }
            HookError::TimedOut { owner, hook_type, timeout, .. } => {
                write!(f, "hook `{owner}::{name}` ({hook_type}) timed out after {timeout:?}")
            }
            HookError::Refused { owner, hook_type, reason, .. } => {
                write!(f, "hook `{owner}::{name}` ({hook_type}) was refused: {reason}")
            }
            HookError::Unsupported { owner, hook_type, .. } => write!(
                f,
                "`{owner}` does not provide the hook type `{hook_type}` (hook `{name}`); add \
                 #[provides_hooks({hook_type})] to `{owner}` or embed a base that provides it with #[hooks(base)]"
            ),
            HookError::UnknownHook { owner, hook_type, .. } => {
                write!(f, "`{owner}` has no {hook_type} hook named `{name}`")
            }
            HookError::OrderCycle { owner, hook_type, cycle, .. } => write!(
                f,
                "`{owner}::{name}` ({hook_type}) was not attached: its ordering constraints make a cycle through {}",
                Cycle(cycle)
            ),
            HookError::StaticHook { owner, hook_type, .. } => write!(
                f,
                "`{owner}::{name}` ({hook_type}) is a static hook and cannot be removed; disable it with `disable_hook`"
            ),
            HookError::NoAttachStorage { owner, hook_type, .. } => write!(
                f,
                "`{owner}` has nowhere to keep run-time hooks (hook `{name}`, {hook_type}); embed a runtime \
                 base such as `Service` with #[hooks(base)], or add a field `#[hooks(attached)] attached: AttachedHooks`"
            ),
            HookError::BadSelector { owner, hook_type, reason, .. } => {
                write!(f, "recursive hook `{name}` ({hook_type}) on `{owner}` was not registered: {reason}")
            }
        }
    }
}

impl std::error::Error for HookError {
    /// The error the hook returned, as itself: `downcast_ref::<YourError>()` on it works.
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            HookError::Failed { source, .. } => Some(&**source),
            _ => None,
        }
    }
}

impl HookError {
    /// The type that owns the hook.
    pub fn owner(&self) -> &str {
        match self {
            HookError::Failed { owner, .. }
            | HookError::Panicked { owner, .. }
            | HookError::TimedOut { owner, .. }
            | HookError::Unsupported { owner, .. }
            | HookError::Refused { owner, .. }
            | HookError::NoAttachStorage { owner, .. }
            | HookError::UnknownHook { owner, .. }
            | HookError::OrderCycle { owner, .. }
            | HookError::StaticHook { owner, .. }
            | HookError::BadSelector { owner, .. } => owner,
        }
    }

    /// The hook's method name (or the name it was attached under).
    pub fn method(&self) -> &str {
        match self {
            HookError::Failed { method, .. }
            | HookError::Panicked { method, .. }
            | HookError::TimedOut { method, .. }
            | HookError::Unsupported { method, .. }
            | HookError::Refused { method, .. }
            | HookError::NoAttachStorage { method, .. }
            | HookError::UnknownHook { method, .. }
            | HookError::OrderCycle { method, .. }
            | HookError::StaticHook { method, .. }
            | HookError::BadSelector { method, .. } => method,
        }
    }

    /// The hook type's name (`"OnInit"`).
    pub fn hook_type(&self) -> &str {
        match self {
            HookError::Failed { hook_type, .. }
            | HookError::Panicked { hook_type, .. }
            | HookError::TimedOut { hook_type, .. }
            | HookError::Unsupported { hook_type, .. }
            | HookError::Refused { hook_type, .. }
            | HookError::NoAttachStorage { hook_type, .. }
            | HookError::UnknownHook { hook_type, .. }
            | HookError::OrderCycle { hook_type, .. }
            | HookError::StaticHook { hook_type, .. }
            | HookError::BadSelector { hook_type, .. } => hook_type,
        }
    }
}

impl fmt::Debug for HookError {
    /// As derived, with the hook's name cut as [`Excerpt`] cuts it.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let variant = match self {
            HookError::Failed { .. } => "Failed",
            HookError::Panicked { .. } => "Panicked",
            HookError::TimedOut { .. } => "TimedOut",
            HookError::Refused { .. } => "Refused",
            HookError::Unsupported { .. } => "Unsupported",
            HookError::UnknownHook { .. } => "UnknownHook",
            HookError::OrderCycle { .. } => "OrderCycle",
            HookError::StaticHook { .. } => "StaticHook",
            HookError::NoAttachStorage { .. } => "NoAttachStorage",
            HookError::BadSelector { .. } => "BadSelector",
        };
        let mut s = f.debug_struct(variant);
        s.field("owner", &self.owner())
            .field("method", &Excerpt::new(self.method()))
            .field("hook_type", &self.hook_type());
        match self {
            HookError::Failed { source, .. } => s.field("source", source),
            HookError::Panicked { message, .. } => s.field("message", message),
            HookError::TimedOut { timeout, .. } => s.field("timeout", timeout),
            HookError::OrderCycle { cycle, .. } => s.field("cycle", &Cycle(cycle)),
            HookError::BadSelector { reason, .. } | HookError::Refused { reason, .. } => s.field("reason", reason),
            HookError::Unsupported { .. }
            | HookError::UnknownHook { .. }
            | HookError::StaticHook { .. }
            | HookError::NoAttachStorage { .. } => &mut s,
        };
        s.finish()
    }
}

/// A user-supplied string (a hook's name, a callback's id, a configuration key) as errors quote
/// it: whole when short, else its first bytes (cut on a character boundary), an ellipsis and its
/// full length in bytes. Names come from users and configuration files; without a cut, one of
/// 50 MB is copied into every message, log line and `unwrap` panic that quotes it.
///
/// ```
/// use hooks_core::Excerpt;
///
/// assert_eq!(Excerpt::new("flush").to_string(), "flush");
/// let long = "é".repeat(100);
/// assert_eq!(Excerpt::new(&long).to_string(), format!("{}… (200 bytes)", "é".repeat(32)));
/// assert_eq!(format!("{:?}", Excerpt::new(&long)), format!("{:?}… (200 bytes)", "é".repeat(32)));
/// ```
#[derive(Clone, Copy)]
pub struct Excerpt<'a> {
    text: &'a str,
    max_bytes: usize,
}

impl<'a> Excerpt<'a> {
    /// How many bytes of a name are shown at most.
    pub const NAME_BYTES: usize = 64;
    /// How many bytes of a message are shown at most (a parser's message, which quotes the input).
    pub const MESSAGE_BYTES: usize = 512;

    /// A name, id or key: cut after [`NAME_BYTES`](Self::NAME_BYTES).
    pub fn new(text: &'a str) -> Self {
        Excerpt { text, max_bytes: Self::NAME_BYTES }
    }

    /// A message that may quote user input: cut after [`MESSAGE_BYTES`](Self::MESSAGE_BYTES).
    pub fn message(text: &'a str) -> Self {
        Excerpt { text, max_bytes: Self::MESSAGE_BYTES }
    }

    /// The part shown, when the text is cut.
    fn head(&self) -> Option<&'a str> {
        if self.text.len() <= self.max_bytes {
            return None;
        }
        // A character is at most 4 bytes: one of the last 4 positions is a boundary.
        let end = (self.max_bytes.saturating_sub(3)..=self.max_bytes).rev().find(|&i| self.text.is_char_boundary(i))?;
        Some(&self.text[..end])
    }
}

impl fmt::Display for Excerpt<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.head() {
            None => f.pad(self.text),
            Some(head) => write!(f, "{head}… ({} bytes)", self.text.len()),
        }
    }
}

impl fmt::Debug for Excerpt<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.head() {
            None => fmt::Debug::fmt(self.text, f),
            Some(head) => write!(f, "{head:?}… ({} bytes)", self.text.len()),
        }
    }
}

/// The hooks of an ordering cycle as errors show them: the first few names, each an [`Excerpt`]
/// (a cycle through thousands of hooks would otherwise make a message of thousands of names).
struct Cycle<'a>(&'a [String]);

impl Cycle<'_> {
    const SHOWN: usize = 16;
}

impl fmt::Display for Cycle<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, name) in self.0.iter().take(Self::SHOWN).enumerate() {
            write!(f, "{}{}", if i == 0 { "" } else { " → " }, Excerpt::new(name))?;
        }
        if self.0.len() > Self::SHOWN {
            write!(f, " → … ({} hooks)", self.0.len())?;
        }
        Ok(())
    }
}

impl fmt::Debug for Cycle<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut list = f.debug_list();
        list.entries(self.0.iter().take(Self::SHOWN).map(|name| Excerpt::new(name)));
        if self.0.len() > Self::SHOWN {
            list.entry(&format_args!("… ({} hooks)", self.0.len()));
        }
        list.finish()
    }
}

/// Every failure of one run of hooks, in execution order.
///
/// A fail-fast run (`OnInit`, `OnStart`) holds exactly one error; a collect-all run holds one per
/// failed hook.
///
/// ```
/// use hooks_core::{HookError, MultiError};
///
/// let err = MultiError::from(vec![HookError::Panicked {
///     owner: "Worker",
///     method: "flush".into(),
///     hook_type: "OnStop",
///     message: "disk full".into(),
/// }]);
/// assert_eq!(err.errors()[0].method(), "flush");
/// assert_eq!(err.to_string(), "1 hook failed: hook `Worker::flush` (OnStop) panicked: disk full");
/// ```
#[derive(Debug, Default, Clone)]
pub struct MultiError {
    errors: Vec<HookError>,
}

impl MultiError {
    /// The failures, in execution order.
    pub fn errors(&self) -> &[HookError] {
        &self.errors
    }

    /// The failures, owned.
    pub fn into_errors(self) -> Vec<HookError> {
        self.errors
    }

    /// The number of failures.
    pub fn len(&self) -> usize {
        self.errors.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.errors.is_empty()
    }

    /// Adds a failure at the end.
    pub fn push(&mut self, error: HookError) {
        self.errors.push(error);
    }

    /// `Ok(())` when empty, else `Err(self)`.
    pub fn into_result(self) -> Result<(), MultiError> {
        if self.errors.is_empty() {
            Ok(())
        } else {
            Err(self)
        }
    }
}

impl From<Vec<HookError>> for MultiError {
    fn from(errors: Vec<HookError>) -> Self {
        MultiError { errors }
    }
}

impl From<HookError> for MultiError {
    fn from(error: HookError) -> Self {
        MultiError { errors: vec![error] }
    }
}

impl IntoIterator for MultiError {
    type Item = HookError;
    type IntoIter = std::vec::IntoIter<HookError>;
    fn into_iter(self) -> Self::IntoIter {
        self.errors.into_iter()
    }
}

impl<'a> IntoIterator for &'a MultiError {
    type Item = &'a HookError;
    type IntoIter = std::slice::Iter<'a, HookError>;
    fn into_iter(self) -> Self::IntoIter {
        self.errors.iter()
    }
}

impl fmt::Display for MultiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.errors.len();
        write!(f, "{n} hook{} failed", if n == 1 { "" } else { "s" })?;
        for (i, e) in self.errors.iter().enumerate() {
            write!(f, "{}{e}", if i == 0 { ": " } else { "; " })?;
        }
        Ok(())
    }
}

impl std::error::Error for MultiError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.errors.first().map(|e| e as _)
    }
}

/// The panic message carried by a caught panic's payload.
pub fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&'static str>() {
        (*s).to_owned()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "Box<dyn Any>".to_owned()
    }
}
