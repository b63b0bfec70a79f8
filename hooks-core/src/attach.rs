//! Hooks attached to one instance at run time (`attach_hook`).

use std::any::{Any, TypeId};
use std::borrow::Cow;
use std::fmt;
use std::sync::Arc;

use crate::params::ParamValue;
use crate::shim::Step;

/// The erased call of a hook attached to a component `R`.
pub(crate) type AttachedFn<R> = Box<dyn for<'a> Fn(&'a mut R, &'a dyn Any) -> Step<'a> + Send + Sync>;

/// One hook attached at run time.
pub(crate) struct AttachedHook {
    /// The component type it was attached to (the storage may sit in a base).
    pub(crate) root: TypeId,
    pub(crate) hook_type: TypeId,
    pub(crate) hook_name: &'static str,
    pub(crate) owner: &'static str,
    pub(crate) name: Cow<'static, str>,
    pub(crate) priority: i32,
    pub(crate) seq: u64,
    pub(crate) params: Vec<ParamValue>,
    pub(crate) is_async: bool,
    /// An `AttachedFn<R>` for `R` = the type behind `root`.
    pub(crate) call: Box<dyn Any + Send + Sync>,
}

/// Where a component keeps the hooks attached to it at run time.
///
/// Every runtime base (`Service`, `MessageBusClient`, …) holds one, so a component that embeds a
/// base needs nothing more. A component without such a base adds a field marked
/// `#[hooks(attached)]` (or simply of this type):
///
/// ```
/// use hooks_core::AttachedHooks;
///
/// let hooks = AttachedHooks::default();
/// assert!(hooks.is_empty());
/// ```
#[derive(Default, Clone)]
pub struct AttachedHooks {
    hooks: Vec<Arc<AttachedHook>>,
    next_seq: u64,
}

impl AttachedHooks {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// The number of attached hooks, of every type.
    pub fn len(&self) -> usize {
        self.hooks.len()
    }

    /// Whether no hook is attached.
    pub fn is_empty(&self) -> bool {
        self.hooks.is_empty()
    }

    pub(crate) fn push(&mut self, mut hook: AttachedHook) {
        hook.seq = self.next_seq;
        self.next_seq += 1;
        self.hooks.push(Arc::new(hook));
    }

    /// The hooks of one hook type attached to `root`, in attach order. Cloned out so that a hook
    /// attached during a run does not join it, and so that the run can lend `&mut` to each hook.
    pub(crate) fn snapshot(&self, root: TypeId, hook_type: TypeId) -> Vec<Arc<AttachedHook>> {
        self.hooks.iter().filter(|h| h.root == root && h.hook_type == hook_type).cloned().collect()
    }

    pub(crate) fn of_root(&self, root: TypeId) -> impl Iterator<Item = &AttachedHook> {
        self.hooks.iter().filter(move |h| h.root == root).map(|h| &**h)
    }
}

impl AsRef<AttachedHooks> for AttachedHooks {
    fn as_ref(&self) -> &AttachedHooks {
        self
    }
}

impl AsMut<AttachedHooks> for AttachedHooks {
    fn as_mut(&mut self) -> &mut AttachedHooks {
        self
    }
}

impl fmt::Debug for AttachedHooks {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.hooks.iter().map(|h| format!("{}::{} ({})", h.owner, h.name, h.hook_name))).finish()
    }
}
