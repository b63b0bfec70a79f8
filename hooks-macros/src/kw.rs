//! The helper attribute and option names of `#[derive(Hooks)]`, `#[hooks(..)]` and
//! `#[callback(..)]`, once.
//! (The method attributes and their keys are described in `descriptor.rs`.)

/// `#[provides_hooks(..)]` on a struct.
pub(crate) const PROVIDES_HOOKS: &str = "provides_hooks";
/// `#[hooks(..)]` on a field (`base`, `attached`) or a struct (`crate = ".."`).
pub(crate) const HOOKS: &str = "hooks";
pub(crate) const BASE: &str = "base";
pub(crate) const ATTACHED: &str = "attached";
/// `crate = ".."` of `#[hooks]`, `#[derive(Hooks)]` and `#[callback]`.
pub(crate) const CRATE: &str = "crate";
/// `#[hooks(name)]` on a field; `name = ".."` of `#[callback]`.
pub(crate) const NAME: &str = "name";
pub(crate) const CHILD: &str = "child";
pub(crate) const CHILDREN: &str = "children";
/// `#[stage(Path)]` on a method of a `#[hooks]` impl.
pub(crate) const STAGE: &str = "stage";
/// `#[message(..)]` on a `#[derive(Message)]` type, and its keys.
pub(crate) const MESSAGE: &str = "message";
pub(crate) const REPLY: &str = "reply";
pub(crate) const SERDE: &str = "serde";
