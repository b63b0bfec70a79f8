//! Hook parameters: the values written in a hook attribute (`#[on_message(Kind::A)]`), resolved per
//! instance, type-erased but `Debug` and downcastable.

use std::any::{Any, TypeId};
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
pub struct ParamValue(ParamRepr);

#[derive(Clone)]
enum ParamRepr {
    Value(Arc<dyn Param>),
    /// A value that can route messages; the key holds it.
    Key(Key),
}

impl ParamValue {
    /// Wraps a value.
    pub fn new<T: Param>(value: T) -> Self {
        ParamValue(ParamRepr::Value(Arc::new(value)))
    }

    /// Wraps a value that can also route messages: a message type of `#[on_message(..)]` & co.
    pub fn key<T: KeyValue>(value: T) -> Self {
        ParamValue(ParamRepr::Key(Key::new(value)))
    }

    /// A routing key as a param, as it is: how a message contract's key (`Key::of_type`) becomes
    /// the param of its handlers.
    ///
    /// ```
    /// use hooks_core::{Key, ParamValue};
    ///
    /// struct Count;
    ///
    /// let key = Key::of_type::<Count>("Count");
    /// assert_eq!(ParamValue::from_key(key.clone()).as_key(), Some(&key));
    /// ```
    pub fn from_key(key: Key) -> Self {
        ParamValue(ParamRepr::Key(key))
    }

    /// The same value as a routing key (what [`ParamValue::key`] makes): how params given at run
    /// time to a message hook (`attach_hook::<OnMessage>(.., [Kind::A])`) route like static ones.
    ///
    /// ```
    /// use hooks_core::{Key, ParamValue};
    ///
    /// #[derive(Debug, PartialEq)]
    /// enum Kind { Status }
    ///
    /// let key = ParamValue::new(Kind::Status).into_key();
    /// assert_eq!(key.as_key(), Some(&Key::new(Kind::Status)));
    /// assert_eq!(key.downcast_ref::<Kind>(), Some(&Kind::Status));
    /// ```
    pub fn into_key(self) -> Self {
        match self.0 {
            // A `Key` given as a param (a contract's, `<Count as Contract>::key()`) routes as itself.
            ParamRepr::Value(value) if (*value).as_any().is::<Key>() => match (*value).as_any().downcast_ref::<Key>() {
                Some(key) => ParamValue(ParamRepr::Key(key.clone())),
                None => ParamValue(ParamRepr::Value(value)),
            },
            ParamRepr::Value(value) => ParamValue(ParamRepr::Key(Key::from_shared(value))),
            key @ ParamRepr::Key(_) => ParamValue(key),
        }
    }

    /// The value as a routing key, when it was made with [`ParamValue::key`].
    pub fn as_key(&self) -> Option<&Key> {
        match &self.0 {
            ParamRepr::Key(key) => Some(key),
            ParamRepr::Value(_) => None,
        }
    }

    fn value(&self) -> &dyn Param {
        match &self.0 {
            ParamRepr::Value(value) => &**value,
            ParamRepr::Key(key) => key.param(),
        }
    }

    /// The value, if it is a `T`.
    pub fn downcast_ref<T: Any>(&self) -> Option<&T> {
        self.value().as_any().downcast_ref()
    }

    /// Whether the value is a `T`.
    pub fn is<T: Any>(&self) -> bool {
        self.value().as_any().is::<T>()
    }
}

impl fmt::Debug for ParamValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.value(), f)
    }
}

/// What a message type may be: any `Debug + Send + Sync + 'static` value (the user's enum, a
/// `&'static str` topic, a `String`…).
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be a message type",
    label = "neither a message contract nor a `Debug` value",
    note = "a message type is a message contract (`#[derive(Message)]`), or a value routed by its `Debug` text: any `Debug + Send + Sync + 'static` value, such as an enum variant or a topic string"
)]
pub trait KeyValue: Param {}

#[diagnostic::do_not_recommend]
impl<T: Param> KeyValue for T {}

/// A type-erased message type that can be compared and hashed: the routing key of a message and
/// of each message handler's params. Two keys are equal when they hold values of the same type
/// with the same `Debug` text (for enums: the same variant), so message types need neither `Eq`
/// nor `Hash`; the text is computed once, when the key is made.
///
/// A key made with [`Key::of_type`] routes by a type instead (a message contract): it equals only
/// the keys of that same type, whatever any value's `Debug` text.
///
/// A short text (up to 31 bytes: an enum variant, a topic) is kept inline, so that making such a
/// key allocates nothing besides the key itself; the hash of the type and the text is computed
/// then too.
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
pub struct Key(Arc<KeyInner<dyn Param>>);

/// One allocation per key: the value is stored inline, after what routing compares.
struct KeyInner<V: ?Sized> {
    type_id: TypeId,
    /// The hash of `type_id` and of `text`.
    hash: u64,
    text: Text,
    /// The value of a key made from a value already shared (a param given at run time, see
    /// [`ParamValue::into_key`]); `value` is then `()`.
    shared: Option<Arc<dyn Param>>,
    value: V,
}

/// Only its `TypeId` is used, by [`Key::of_type`]: never made, so no value key has it.
struct TypeKey<M: ?Sized>(std::marker::PhantomData<fn() -> M>);

/// The value of a type's key: its name, which `Debug` prints as is.
struct TypeName(&'static str);

impl fmt::Debug for TypeName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}

/// How many bytes of `Debug` text a key keeps inline.
const SHORT: usize = 31;

/// A key's `Debug` text.
enum Text {
    /// At most [`SHORT`] bytes, zero-padded.
    Short { len: u8, bytes: [u8; SHORT] },
    /// Longer.
    Long(Box<str>),
}

impl Key {
    /// A key holding `value`.
    ///
    /// # Panics
    /// When the value's `Debug` impl returns an error, as `format!` does.
    pub fn new<T: KeyValue>(value: T) -> Self {
        // A key is its own key (resolved at compile time: one type comparison).
        if TypeId::of::<T>() == TypeId::of::<Key>() {
            if let Some(key) = (&value as &dyn Any).downcast_ref::<Key>() {
                return key.clone();
            }
        }
        let type_id = TypeId::of::<T>();
        let (text, hash) = Text::of(type_id, &value);
        Key(Arc::new(KeyInner { type_id, hash, text, shared: None, value }))
    }

    /// The key of the type `M` (a message contract), named `name` (its stable name, what the key's
    /// `Debug` prints). Two such keys are equal exactly when they are of the same type: neither
    /// the name nor any value's `Debug` text can make keys of two types collide, and no key made
    /// with [`Key::new`] equals one of these.
    ///
    /// ```
    /// use hooks_core::Key;
    ///
    /// #[derive(Debug)]
    /// struct Count;
    /// mod other { #[derive(Debug)] pub struct Count; }
    ///
    /// let key = Key::of_type::<Count>("Count");
    /// assert_eq!(key, Key::of_type::<Count>("Count"));
    /// assert_ne!(key, Key::of_type::<other::Count>("Count"), "another type of the same name");
    /// assert_ne!(key, Key::new(Count), "a value key, even with the same `Debug` text");
    /// assert!(key.is_type::<Count>());
    /// assert_eq!(key.type_name(), Some("Count"));
    /// assert_eq!(format!("{key:?}"), "Count");
    /// ```
    pub fn of_type<M: Any>(name: &'static str) -> Self {
        // The `TypeId` of a private wrapper: no value of it exists, so no `Key::new` has it.
        let type_id = TypeId::of::<TypeKey<M>>();
        let value = TypeName(name);
        let (text, hash) = Text::of(type_id, &value);
        Key(Arc::new(KeyInner { type_id, hash, text, shared: None, value }))
    }

    /// Whether this is the key of the type `M` (made with [`Key::of_type`]).
    pub fn is_type<M: Any>(&self) -> bool {
        self.0.type_id == TypeId::of::<TypeKey<M>>()
    }

    /// The name of a type's key (made with [`Key::of_type`]); `None` for a key made from a value.
    pub fn type_name(&self) -> Option<&'static str> {
        self.param().as_any().downcast_ref::<TypeName>().map(|name| name.0)
    }

    /// A key holding a value that is already shared: the same key as `Key::new` of that value.
    ///
    /// # Panics
    /// When the value's `Debug` impl returns an error, as `format!` does.
    fn from_shared(value: Arc<dyn Param>) -> Self {
        // The value's own type: `value.as_any()` would be the `Arc`'s (it is a `Param` too).
        let inner: &dyn Param = &*value;
        let type_id = Any::type_id(inner.as_any());
        let (text, hash) = Text::of(type_id, &*value);
        Key(Arc::new(KeyInner { type_id, hash, text, shared: Some(value), value: () }))
    }

    /// The value.
    fn param(&self) -> &dyn Param {
        match &self.0.shared {
            Some(value) => &**value,
            None => &self.0.value,
        }
    }

    /// A key with a chosen hash: collisions, in tests.
    #[cfg(test)]
    fn with_hash<T: KeyValue>(value: T, hash: u64) -> Self {
        let (text, _) = Text::of(TypeId::of::<T>(), &value);
        Key(Arc::new(KeyInner { type_id: TypeId::of::<T>(), hash, text, shared: None, value }))
    }

    /// The value, if it is a `T`.
    pub fn downcast_ref<T: Any>(&self) -> Option<&T> {
        self.param().as_any().downcast_ref()
    }
}

impl PartialEq for Key {
    fn eq(&self, other: &Self) -> bool {
        let (a, b) = (&*self.0, &*other.0);
        // Same type and hash, then the texts: a hash collision is told apart there.
        Arc::ptr_eq(&self.0, &other.0) || (a.type_id == b.type_id && a.hash == b.hash && a.text == b.text)
    }
}

impl Eq for Key {}

impl std::hash::Hash for Key {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        // Covers the type and the text: equal keys hash alike.
        state.write_u64(self.0.hash);
    }
}

impl fmt::Debug for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0.text.as_str())
    }
}

impl Text {
    /// The `Debug` text of `value`, and the hash of `type_id` and that text: an FxHash-style
    /// mix of 8-byte words (the last one zero-padded), then the length, then a finalizer
    /// (murmur3's) so that every bit of the result depends on every input bit.
    fn of(type_id: TypeId, value: &dyn Param) -> (Text, u64) {
        use std::hash::{Hash, Hasher};
        let mut writer = TextWriter { len: 0, short: [0; SHORT + 1], long: None };
        if fmt::write(&mut writer, format_args!("{value:?}")).is_err() {
            panic!("a Debug implementation returned an error when the underlying stream did not");
        }
        let mut hasher = rustc_hash::FxHasher::default();
        type_id.hash(&mut hasher);
        let text = match (writer.long, u8::try_from(writer.len)) {
            (None, Ok(len)) => {
                // Zero-padded past the text: read as whole words.
                for word in writer.short.chunks_exact(8).take(writer.len.div_ceil(8)) {
                    hasher.write_u64(u64::from_le_bytes(word.try_into().unwrap_or_default()));
                }
                let mut bytes = [0; SHORT];
                bytes.copy_from_slice(&writer.short[..SHORT]);
                Text::Short { len, bytes }
            }
            (long, _) => {
                let long = long.unwrap_or_default();
                hasher.write(long.as_bytes());
                Text::Long(long.into_boxed_str())
            }
        };
        hasher.write_u64(writer.len as u64);
        let mut hash = hasher.finish();
        hash ^= hash >> 33;
        hash = hash.wrapping_mul(0xff51_afd7_ed55_8ccd);
        hash ^= hash >> 33;
        hash = hash.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
        (text, hash ^ (hash >> 33))
    }

    fn as_str(&self) -> &str {
        match self {
            // Whole `str`s, concatenated: always UTF-8.
            Text::Short { len, bytes } => std::str::from_utf8(&bytes[..usize::from(*len)]).unwrap_or_default(),
            Text::Long(text) => text,
        }
    }
}

impl PartialEq for Text {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (Text::Short { len: a, bytes: x }, Text::Short { len: b, bytes: y }) => a == b && x == y,
            (Text::Long(a), Text::Long(b)) => a == b,
            // A short text and a long one differ in length.
            _ => false,
        }
    }
}

/// Takes the text a `Debug` impl writes: inline while it is short, then in a `String`.
struct TextWriter {
    len: usize,
    /// The text while it is short, then zeros.
    short: [u8; SHORT + 1],
    long: Option<String>,
}

impl fmt::Write for TextWriter {
    #[inline]
    fn write_str(&mut self, s: &str) -> fmt::Result {
        let (start, end) = (self.len, self.len + s.len());
        self.len = end;
        if let Some(long) = &mut self.long {
            long.push_str(s);
        } else if end <= SHORT {
            self.short[start..end].copy_from_slice(s.as_bytes());
        } else {
            let mut long = String::with_capacity(end.max(2 * SHORT));
            long.push_str(std::str::from_utf8(&self.short[..start]).unwrap_or_default());
            long.push_str(s);
            self.long = Some(long);
        }
        Ok(())
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

    /// Writes its text in pieces of the given sizes.
    struct Pieces(&'static str, &'static [usize]);

    impl fmt::Debug for Pieces {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            let mut rest = self.0;
            for &n in self.1 {
                let (piece, tail) = rest.split_at(n.min(rest.len()));
                f.write_str(piece)?;
                rest = tail;
            }
            f.write_str(rest)
        }
    }

    fn hash_of(key: &Key) -> u64 {
        use std::hash::BuildHasher;
        std::hash::BuildHasherDefault::<std::collections::hash_map::DefaultHasher>::default().hash_one(key)
    }

    const LONG: &str = "more than thirty-one bytes of text, in several words";

    #[test]
    fn a_key_hashes_its_text_however_it_is_written() {
        let texts =
            ["", "a", "Ping", "exactly8", "exactly thirty-one bytes of it!", "thirty-two bytes of text, exactly", LONG];
        assert_eq!(texts[4].len(), SHORT);
        for text in texts {
            let whole = Key::new(Pieces(text, &[]));
            for split in [&[1usize][..], &[3, 1], &[7, 2, 8], &[8, 8, 8], &[0, 0, 5], &[30, 1], &[31, 1], &[32]] {
                let pieces = Key::new(Pieces(text, split));
                assert_eq!(whole.0.hash, pieces.0.hash, "{text:?} split {split:?}");
                assert_eq!(whole, pieces);
                assert_eq!(pieces, whole);
                assert_eq!(hash_of(&whole), hash_of(&pieces));
                assert_eq!(format!("{pieces:?}"), text);
            }
            assert_eq!(matches!(whole.0.text, Text::Short { .. }), text.len() <= SHORT);
        }
        let hashes: std::collections::HashSet<u64> = texts.iter().map(|t| Key::new(Pieces(t, &[])).0.hash).collect();
        assert_eq!(hashes.len(), texts.len());
        // A trailing zero byte, and the type, change the hash.
        assert_ne!(Key::new("a").0.hash, Key::new("a\0").0.hash);
        assert_ne!(Key::new(Pieces("a", &[])).0.hash, Key::new(Pieces("a\0", &[])).0.hash);
        assert_ne!(Key::new(1u8).0.hash, Key::new(1u16).0.hash);
    }

    #[test]
    fn keys_of_colliding_hashes_are_told_apart_by_their_text() {
        let long_b = "more than thirty-one bytes of text, in several wordz";
        for (a_text, b_text) in [("a", "b"), (LONG, long_b), ("a", LONG), ("ab", "a\0")] {
            let a = Key::with_hash(Pieces(a_text, &[]), 7);
            let b = Key::with_hash(Pieces(b_text, &[]), 7);
            let a2 = Key::with_hash(a_text.to_owned(), 7);
            let a3 = Key::with_hash(Pieces(a_text, &[1]), 7);
            assert_ne!(a, b);
            assert_ne!(b, a);
            assert_eq!(a, a3);
            assert_eq!(a3, a);
            assert_ne!(a, a2, "other type");
            // A prefix is not equal.
            let longer = Key::with_hash(Pieces(Box::leak(format!("{a_text}!").into_boxed_str()), &[]), 7);
            assert_ne!(longer, a);
            assert_ne!(a, longer);
        }
        let mut map = std::collections::HashMap::new();
        map.insert(Key::with_hash("a", 7), 1);
        map.insert(Key::with_hash("b", 7), 2);
        map.insert(Key::with_hash(LONG, 7), 3);
        assert_eq!(map.len(), 3);
        assert_eq!(map.get(&Key::with_hash("a", 7)), Some(&1));
        assert_eq!(map.get(&Key::with_hash("b", 7)), Some(&2));
        assert_eq!(map.get(&Key::with_hash(LONG, 7)), Some(&3));
        assert_eq!(map.get(&Key::with_hash("c", 7)), None);
    }

    #[test]
    #[should_panic(expected = "a Debug implementation returned an error")]
    fn a_key_whose_debug_fails_is_not_made() {
        struct Fails;
        impl fmt::Debug for Fails {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("x")?;
                Err(fmt::Error)
            }
        }
        Key::new(Fails);
    }

    #[test]
    fn type_keys_of_two_types_never_collide_whatever_their_names_and_texts() {
        #[derive(Debug)]
        struct Ping;
        mod other {
            #[derive(Debug)]
            pub(super) struct Ping;
        }
        let (a, b) = (Key::of_type::<Ping>("Ping"), Key::of_type::<other::Ping>("Ping"));
        assert_ne!(a, b);
        assert!(a.0.text == b.0.text, "same name, same text");
        assert_ne!(a, Key::new(Ping));
        assert_ne!(a, Key::new(TypeName("Ping")), "not even a value of the name's own type");
        assert_ne!(a, Key::new("Ping"));
        assert_eq!(a, Key::of_type::<Ping>("Ping"));
        assert_eq!(hash_of(&a), hash_of(&Key::of_type::<Ping>("Ping")));
        assert!(a.is_type::<Ping>() && !a.is_type::<other::Ping>() && !Key::new(Ping).is_type::<Ping>());
        assert_eq!((a.type_name(), Key::new(Ping).type_name()), (Some("Ping"), None));
        let mut map = std::collections::HashMap::new();
        map.insert(a.clone(), 1);
        map.insert(b.clone(), 2);
        map.insert(Key::new(Ping), 3);
        assert_eq!((map[&a], map[&b], map.len()), (1, 2, 3));
    }

    #[test]
    fn a_key_given_as_a_value_is_that_key() {
        let key = Key::of_type::<u8>("byte");
        assert_eq!(Key::new(key.clone()), key);
        assert_eq!(ParamValue::new(key.clone()).into_key().as_key(), Some(&key));
        assert_eq!(ParamValue::key(key.clone()).as_key(), Some(&key));
        assert_eq!(ParamValue::from_key(key.clone()).as_key(), Some(&key));
        assert_eq!(format!("{:?}", ParamValue::from_key(key)), "byte");
    }

    #[test]
    fn a_key_keeps_its_value_and_text() {
        #[derive(Debug, PartialEq)]
        enum Kind {
            Status,
        }
        let key = Key::new(Kind::Status);
        assert_eq!(key.downcast_ref::<Kind>(), Some(&Kind::Status));
        assert_eq!(format!("{key:?}"), "Status");
        assert_eq!(key, key.clone());
        let param = ParamValue::key(Kind::Status);
        assert_eq!(param.as_key(), Some(&key));
        assert_eq!(param.downcast_ref::<Kind>(), Some(&Kind::Status));
        assert!(param.is::<Kind>() && !param.is::<u8>());
        assert_eq!(format!("{param:?}"), "Status");
        assert_eq!(ParamValue::new(Kind::Status).as_key(), None);
    }
}
