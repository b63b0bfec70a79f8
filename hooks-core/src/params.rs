//! Hook parameters: the values written in a hook attribute (`#[on_message(Kind::A)]`), resolved per
//! instance, type-erased but `Debug` and downcastable.

use std::any::{Any, TypeId};
use std::fmt;
use std::sync::{Arc, OnceLock};

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
        let key = Key::new(value);
        // Routing tables keep these keys and compare each message's key with them: the text is
        // made now, once, so that a comparison needs no allocation.
        key.text();
        ParamValue(ParamRepr::Key(key))
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
            ParamRepr::Key(key) => &key.0.value,
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
pub trait KeyValue: Param {}

impl<T: Param> KeyValue for T {}

/// A type-erased message type that can be compared and hashed: the routing key of a message and
/// of each message handler's params. Two keys are equal when they hold values of the same type
/// with the same `Debug` text (for enums: the same variant), so message types need neither `Eq`
/// nor `Hash`.
///
/// Making a key formats the value once, into a hash and, when the text is short (an enum
/// variant, a topic), a copy kept inline: no `String`. A longer text is made only when needed
/// (`Debug`, or comparing two keys whose hashes match and neither of which has its text yet), and
/// kept.
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
    /// The hash of `type_id` and of the value's `Debug` text.
    hash: u64,
    text: Text,
    value: V,
}

/// How many bytes of `Debug` text a key keeps inline.
const SHORT: usize = 31;

/// A key's `Debug` text.
enum Text {
    /// At most [`SHORT`] bytes, kept when the key was made.
    Short { len: u8, bytes: [u8; SHORT] },
    /// Longer (or its `Debug` impl failed): made on first use.
    Long(OnceLock<String>),
}

impl Key {
    /// A key holding `value`.
    pub fn new<T: KeyValue>(value: T) -> Self {
        let type_id = TypeId::of::<T>();
        let (hash, text) = TextHasher::hash(type_id, &value);
        Key(Arc::new(KeyInner { type_id, hash, text, value }))
    }

    /// A key with a chosen hash: collisions, in tests.
    #[cfg(test)]
    fn with_hash<T: KeyValue>(value: T, hash: u64) -> Self {
        let (_, text) = TextHasher::hash(TypeId::of::<T>(), &value);
        Key(Arc::new(KeyInner { type_id: TypeId::of::<T>(), hash, text, value }))
    }

    /// The value, if it is a `T`.
    pub fn downcast_ref<T: Any>(&self) -> Option<&T> {
        self.0.value.as_any().downcast_ref()
    }

    /// The value's `Debug` text (a long one is made on first use).
    fn text(&self) -> &str {
        match &self.0.text {
            // Whole `str`s, concatenated: always UTF-8.
            Text::Short { len, bytes } => std::str::from_utf8(&bytes[..usize::from(*len)]).unwrap_or_default(),
            Text::Long(text) => text.get_or_init(|| format!("{:?}", &self.0.value)),
        }
    }

    /// Whether the value's `Debug` text is `text`, without making this key's text: it is compared
    /// as it is written.
    fn writes(&self, text: &str) -> bool {
        if let Text::Long(own) = &self.0.text {
            if let Some(own) = own.get() {
                return own == text;
            }
        }
        let mut compare = TextCompare { rest: text, same: true };
        // An error can only come from the value's own `Debug` impl: not the same text.
        fmt::write(&mut compare, format_args!("{:?}", &self.0.value)).is_ok() && compare.same && compare.rest.is_empty()
    }
}

impl PartialEq for Key {
    fn eq(&self, other: &Self) -> bool {
        if Arc::ptr_eq(&self.0, &other.0) {
            return true;
        }
        if self.0.type_id != other.0.type_id || self.0.hash != other.0.hash {
            return false;
        }
        // Same type and hash: equal only if the texts are (a hash collision is told apart here).
        match (&self.0.text, &other.0.text) {
            (Text::Short { len: a, bytes: x }, Text::Short { len: b, bytes: y }) => a == b && x == y,
            (Text::Long(a), Text::Long(b)) => match (a.get(), b.get()) {
                (_, Some(text)) => self.writes(text),
                (Some(text), None) => other.writes(text),
                (None, None) => self.writes(other.text()),
            },
            // A short text and a long one (or one whose `Debug` failed): compared as written.
            (Text::Short { .. }, Text::Long(_)) => other.writes(self.text()),
            (Text::Long(_), Text::Short { .. }) => self.writes(other.text()),
        }
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
        f.write_str(self.text())
    }
}

/// Hashes a type id and the `Debug` text of a value as it is written, without building the text
/// (the same text gives the same hash however the `Debug` impl splits it into `write_str` calls),
/// and keeps a short text.
struct TextHasher {
    state: u64,
    /// Bytes not mixed in yet (fewer than 8), little-endian.
    word: u64,
    filled: u32,
    len: usize,
    /// The text so far, while it is short, then zeros (one byte more than a short text, so that
    /// it is read as whole words).
    short: [u8; SHORT + 1],
}

impl TextHasher {
    const SEED: u64 = 0x51_7c_c1_b7_27_22_0a_95;

    fn hash(type_id: TypeId, value: &dyn Param) -> (u64, Text) {
        use std::hash::{Hash, Hasher};
        let mut hasher = TextHasher { state: 0, word: 0, filled: 0, len: 0, short: [0; SHORT + 1] };
        type_id.hash(&mut hasher);
        // An error can only come from the value's `Debug` impl: the text so far is hashed, and the
        // text is left to be made (`Key::text`, which reports the error as `format!` does).
        let written = fmt::write(&mut hasher, format_args!("{value:?}"));
        let text = match u8::try_from(hasher.len) {
            Ok(len) if written.is_ok() && hasher.len <= SHORT => {
                let mut bytes = [0; SHORT];
                bytes.copy_from_slice(&hasher.short[..SHORT]);
                Text::Short { len, bytes }
            }
            _ => Text::Long(OnceLock::new()),
        };
        (hasher.finish(), text)
    }

    #[inline]
    fn mix(&mut self, word: u64) {
        self.state = (self.state.rotate_left(5) ^ word).wrapping_mul(Self::SEED);
    }
}

impl TextHasher {
    /// Mixes `bytes` in, 8 at a time (the text of a long key, as it is written).
    fn stream(&mut self, mut bytes: &[u8]) {
        while let Some((&byte, rest)) = bytes.split_first() {
            if self.filled == 0 {
                if let Some((chunk, rest)) = bytes.split_first_chunk::<8>() {
                    self.mix(u64::from_le_bytes(*chunk));
                    bytes = rest;
                    continue;
                }
            }
            self.word |= u64::from(byte) << (8 * self.filled);
            self.filled += 1;
            if self.filled == 8 {
                let word = std::mem::take(&mut self.word);
                self.filled = 0;
                self.mix(word);
            }
            bytes = rest;
        }
    }
}

impl fmt::Write for TextHasher {
    #[inline]
    fn write_str(&mut self, s: &str) -> fmt::Result {
        let (start, end) = (self.len, self.len + s.len());
        self.len = end;
        if end <= SHORT {
            // Still short: only kept, and hashed as whole words when done (`finish`).
            self.short[start..end].copy_from_slice(s.as_bytes());
            return Ok(());
        }
        if start <= SHORT {
            // Just became long: what was kept is hashed first, as it would have been streamed.
            let short = self.short;
            self.stream(&short[..start]);
        }
        self.stream(s.as_bytes());
        Ok(())
    }
}

impl std::hash::Hasher for TextHasher {
    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut word = [0u8; 8];
            word[..chunk.len()].copy_from_slice(chunk);
            self.mix(u64::from_le_bytes(word));
        }
    }

    fn write_u64(&mut self, n: u64) {
        self.mix(n);
    }

    fn finish(&self) -> u64 {
        let mut state = self.state;
        // The text: a short one as the words it fills (two texts of the same length are both short
        // or both long, so the two ways never need to agree), or the bytes streamed last.
        if self.len <= SHORT {
            for word in self.short.chunks_exact(8).take(self.len.div_ceil(8)) {
                let word = u64::from_le_bytes(word.try_into().unwrap_or_default());
                state = (state.rotate_left(5) ^ word).wrapping_mul(Self::SEED);
            }
        } else {
            state = (state.rotate_left(5) ^ self.word).wrapping_mul(Self::SEED);
        }
        // The length (so that trailing zero bytes count), then a finalizer (murmur3's) so that
        // every bit of the result depends on every input bit.
        state = (state.rotate_left(5) ^ self.len as u64).wrapping_mul(Self::SEED);
        state ^= state >> 33;
        state = state.wrapping_mul(0xff51_afd7_ed55_8ccd);
        state ^= state >> 33;
        state = state.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
        state ^ (state >> 33)
    }
}

/// Compares the text a `Debug` impl writes with `rest`, as it is written.
struct TextCompare<'a> {
    rest: &'a str,
    same: bool,
}

impl fmt::Write for TextCompare<'_> {
    #[inline]
    fn write_str(&mut self, s: &str) -> fmt::Result {
        // Never an error (a `Debug` impl may not expect one): a difference is remembered.
        match self.rest.strip_prefix(s) {
            Some(rest) if self.same => self.rest = rest,
            _ => self.same = false,
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

    /// Whether the key's text is long and not made yet.
    fn no_text_yet(key: &Key) -> bool {
        matches!(&key.0.text, Text::Long(text) if text.get().is_none())
    }

    const LONG: &str = "more than thirty-one bytes of text, in several words";

    #[test]
    fn a_key_hashes_its_text_however_it_is_written() {
        let texts = ["", "a", "Ping", "exactly8", "exactly thirty-one bytes of it!", LONG];
        assert_eq!(texts[4].len(), SHORT);
        for text in texts {
            let whole = Key::new(Pieces(text, &[]));
            for split in [&[1usize][..], &[3, 1], &[7, 2, 8], &[8, 8, 8], &[0, 0, 5], &[30, 1], &[31, 1]] {
                let pieces = Key::new(Pieces(text, split));
                assert_eq!(whole.0.hash, pieces.0.hash, "{text:?} split {split:?}");
                assert_eq!(whole, pieces);
                assert_eq!(pieces, whole);
                assert_eq!(hash_of(&whole), hash_of(&pieces));
                assert_eq!(format!("{pieces:?}"), text);
            }
            assert_eq!(matches!(whole.0.text, Text::Short { .. }), text.len() <= SHORT);
        }
        let long = Key::new(Pieces(LONG, &[]));
        assert_eq!(long, Key::new(Pieces(LONG, &[5])));
        assert!(no_text_yet(&long), "comparing keys of equal hashes made no text");
        let hashes: std::collections::HashSet<u64> = texts.iter().map(|t| Key::new(Pieces(t, &[])).0.hash).collect();
        assert_eq!(hashes.len(), texts.len());
        // A trailing zero byte, and the type, change the hash.
        assert_ne!(Key::new("a").0.hash, Key::new("a\0").0.hash);
        assert_ne!(Key::new(1u8).0.hash, Key::new(1u16).0.hash);
    }

    #[test]
    fn keys_of_colliding_hashes_are_told_apart_by_their_text() {
        // Short texts, long ones, and every combination of which long text was made already.
        let long_b = "more than thirty-one bytes of text, in several wordz";
        for (a_text, b_text) in [("a", "b"), (LONG, long_b), ("a", LONG)] {
            for (make_a, make_b) in [(false, false), (true, false), (false, true), (true, true)] {
                let a = Key::with_hash(Pieces(a_text, &[]), 7);
                let b = Key::with_hash(Pieces(b_text, &[]), 7);
                let a2 = Key::with_hash(a_text.to_owned(), 7);
                let a3 = Key::with_hash(Pieces(a_text, &[1]), 7);
                if make_a {
                    a.text();
                }
                if make_b {
                    b.text();
                    a3.text();
                }
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
    fn a_key_whose_debug_fails_is_made_and_its_text_left_to_be_made() {
        struct Fails;
        impl fmt::Debug for Fails {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("x")?;
                Err(fmt::Error)
            }
        }
        let key = Key::new(Fails);
        // Its text is made, and the error reported (a panic, as `format!`'s), only when needed.
        assert!(no_text_yet(&key));
        assert_ne!(key, Key::new("x"));
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
