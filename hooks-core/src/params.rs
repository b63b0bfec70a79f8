//! Hook parameters: the values written in a hook attribute (`#[on_message(Kind::A)]`), resolved per
//! instance, type-erased but `Debug` and downcastable.

use std::any::Any;
use std::fmt;
use std::sync::Arc;

/// A value that can be a hook parameter: any `Debug + Send + Sync + 'static` type.
pub trait Param: Any + fmt::Debug + Send + Sync {
    /// `self` as `&dyn Any`, for downcasting.
    fn as_any(&self) -> &dyn Any;
}

impl<T: Any + fmt::Debug + Send + Sync> Param for T {
    fn as_any(&self) -> &dyn Any {
        self
    }
}

/// One resolved hook parameter. `Debug` prints the value itself.
///
/// ```
/// use hooks_core::ParamValue;
///
/// #[derive(Debug, PartialEq)]
/// enum Kind { Status }
///
/// let p = ParamValue::new(Kind::Status);
/// assert_eq!(p.downcast_ref::<Kind>(), Some(&Kind::Status));
/// assert_eq!(format!("{p:?}"), "Status");
/// ```
#[derive(Clone)]
pub struct ParamValue {
    value: Arc<dyn Param>,
    /// Set when the value can route messages (`Eq + Hash`).
    key: Option<Key>,
}

impl ParamValue {
    /// Wraps a value.
    pub fn new<T: Param>(value: T) -> Self {
        ParamValue { value: Arc::new(value), key: None }
    }

    /// Wraps a value that can also route messages: a message type of `#[on_message(..)]` & co.
    pub fn key<T: KeyValue>(value: T) -> Self {
        let key = Key::new(value);
        ParamValue { value: key.0.value.clone(), key: Some(key) }
    }

    /// The value as a routing key, when it was made with [`ParamValue::key`].
    pub fn as_key(&self) -> Option<&Key> {
        self.key.as_ref()
    }

    /// The value, if it is a `T`.
    pub fn downcast_ref<T: Any>(&self) -> Option<&T> {
        (*self.value).as_any().downcast_ref()
    }

    /// Whether the value is a `T`.
    pub fn is<T: Any>(&self) -> bool {
        (*self.value).as_any().is::<T>()
    }
}

impl fmt::Debug for ParamValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&*self.value, f)
    }
}

/// What a message type may be: any `Debug + Send + Sync + 'static` value (the user's enum, a
/// `&'static str` topic, a `String`…).
pub trait KeyValue: Param {}

impl<T: Param> KeyValue for T {}

/// A type-erased message type that can be compared and hashed: the routing key of a message and
/// of each message handler's params. Two keys are equal when they hold values of the same type
/// with the same `Debug` text (for enums: the same variant), so message types need neither `Eq`
/// nor `Hash`; the text is computed once, when the key is made.
///
/// ```
/// use hooks_core::Key;
///
/// #[derive(Debug)]
/// enum Kind { Status, Heartbeat }
///
/// assert_eq!(Key::new(Kind::Status), Key::new(Kind::Status));
/// assert_ne!(Key::new(Kind::Status), Key::new(Kind::Heartbeat));
/// assert_ne!(Key::new("Status"), Key::new(Kind::Status));
/// assert_eq!(format!("{:?}", Key::new("topic")), "\"topic\"");
/// ```
#[derive(Clone)]
pub struct Key(Arc<KeyInner>);

struct KeyInner {
    type_id: std::any::TypeId,
    text: String,
    value: Arc<dyn Param>,
}

impl Key {
    /// A key holding `value`.
    pub fn new<T: KeyValue>(value: T) -> Self {
        Key(Arc::new(KeyInner {
            type_id: std::any::TypeId::of::<T>(),
            text: format!("{value:?}"),
            value: Arc::new(value),
        }))
    }

    /// The value, if it is a `T`.
    pub fn downcast_ref<T: Any>(&self) -> Option<&T> {
        (*self.0.value).as_any().downcast_ref()
    }
}

impl PartialEq for Key {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0) || (self.0.type_id == other.0.type_id && self.0.text == other.0.text)
    }
}

impl Eq for Key {}

impl std::hash::Hash for Key {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.0.type_id.hash(state);
        self.0.text.hash(state);
    }
}

impl fmt::Debug for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0.text)
    }
}

/// What `attach_hook` accepts as params: `()`, a `Vec`, an array or an `Option` of values.
pub trait IntoParams {
    /// The values, in order.
    fn into_params(self) -> Vec<ParamValue>;
}

impl IntoParams for () {
    fn into_params(self) -> Vec<ParamValue> {
        Vec::new()
    }
}

impl<T: Param> IntoParams for Vec<T> {
    fn into_params(self) -> Vec<ParamValue> {
        self.into_iter().map(ParamValue::new).collect()
    }
}

impl<T: Param, const N: usize> IntoParams for [T; N] {
    fn into_params(self) -> Vec<ParamValue> {
        self.into_iter().map(ParamValue::new).collect()
    }
}

impl<T: Param> IntoParams for Option<T> {
    fn into_params(self) -> Vec<ParamValue> {
        self.into_iter().map(ParamValue::new).collect()
    }
}

/// What a dynamic `interval = |this: &Self| ..` may return: a `Duration`, or `None` to run once.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a background task interval",
    label = "an `interval` closure or method must return a `Duration` or an `Option<Duration>`"
)]
pub trait IntoInterval {
    /// The interval.
    fn into_interval(self) -> Option<std::time::Duration>;
}

impl IntoInterval for std::time::Duration {
    fn into_interval(self) -> Option<std::time::Duration> {
        Some(self)
    }
}

impl IntoInterval for Option<std::time::Duration> {
    fn into_interval(self) -> Option<std::time::Duration> {
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_params_form_keeps_its_order() {
        assert!(().into_params().is_empty());
        let v = [3u8, 1, 2].into_params();
        let got: Vec<u8> = v.iter().filter_map(|p| p.downcast_ref::<u8>().copied()).collect();
        assert_eq!(got, [3, 1, 2]);
        assert_eq!(Some("x").into_params().len(), 1);
        assert_eq!(format!("{:?}", vec!["a", "b"].into_params()), r#"["a", "b"]"#);
        assert!(!ParamValue::new(1u8).is::<u16>());
    }
}
