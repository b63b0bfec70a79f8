//! What holds a node's children: [`ChildNodes`] (the field types `#[hooks(children)]` accepts),
//! [`Children`] (the one that remembers registrations for children added later), and the
//! [`ChildVisitor`] the derive hands a node's children to.

use std::any::TypeId;
use std::fmt;
use std::sync::Arc;

use super::{land, Landing, Node, Rule, TreePath};

/// Receives a node's direct children from `#[derive(Hooks)]` code, for the tree walks: each child
/// held in a field, and each collection of them (whose registrations the walk updates before it
/// visits the children).
#[doc(hidden)]
#[derive(Default)]
pub struct ChildVisitor<'a> {
    pub(super) found: Vec<Child<'a>>,
}

pub(super) enum Child<'a> {
    Node(&'a mut dyn Node),
    List(&'a mut dyn ChildNodes),
}

impl<'a> ChildVisitor<'a> {
    /// One child held in a field.
    pub fn node(&mut self, child: &'a mut dyn Node) {
        self.found.push(Child::Node(child));
    }

    /// A collection of children.
    pub fn list(&mut self, children: &'a mut dyn ChildNodes) {
        self.found.push(Child::List(children));
    }
}

/// A field type that holds child components: `Vec<T>`, `Option<T>`, `[T; N]`, [`Children<T>`]
/// (`T` a component, or `Box<dyn Node>`).
pub trait ChildNodes: Send {
    /// Appends each child to `out`, in order.
    fn collect_nodes<'a>(&'a self, out: &mut Vec<&'a dyn Node>);
    /// Appends each child to `out`, mutably, in order.
    fn collect_nodes_mut<'a>(&'a mut self, out: &mut Vec<&'a mut dyn Node>);
    /// Visits each child.
    fn each(&self, visit: &mut dyn FnMut(&dyn Node)) {
        let mut children = Vec::new();
        self.collect_nodes(&mut children);
        children.into_iter().for_each(visit);
    }
    /// Visits each child, mutably.
    fn each_mut(&mut self, visit: &mut dyn FnMut(&mut dyn Node)) {
        let mut children = Vec::new();
        self.collect_nodes_mut(&mut children);
        children.into_iter().for_each(visit);
    }
    /// Keeps a registration to apply to children added later (only [`Children`] does).
    #[doc(hidden)]
    fn __inherit(&mut self, _rule: &Arc<Rule>, _parent: &TreePath) {}
    /// Forgets a registration.
    #[doc(hidden)]
    fn __forget(&mut self, _hook_type: TypeId, _name: &str) {}
}

impl<T: Node> ChildNodes for Vec<T> {
    fn collect_nodes<'a>(&'a self, out: &mut Vec<&'a dyn Node>) {
        out.extend(self.iter().map(|c| c as &dyn Node));
    }
    fn collect_nodes_mut<'a>(&'a mut self, out: &mut Vec<&'a mut dyn Node>) {
        out.extend(self.iter_mut().map(|c| c as &mut dyn Node));
    }
}

impl<T: Node> ChildNodes for Option<T> {
    fn collect_nodes<'a>(&'a self, out: &mut Vec<&'a dyn Node>) {
        out.extend(self.iter().map(|c| c as &dyn Node));
    }
    fn collect_nodes_mut<'a>(&'a mut self, out: &mut Vec<&'a mut dyn Node>) {
        out.extend(self.iter_mut().map(|c| c as &mut dyn Node));
    }
}

impl<T: Node, const N: usize> ChildNodes for [T; N] {
    fn collect_nodes<'a>(&'a self, out: &mut Vec<&'a dyn Node>) {
        out.extend(self.iter().map(|c| c as &dyn Node));
    }
    fn collect_nodes_mut<'a>(&'a mut self, out: &mut Vec<&'a mut dyn Node>) {
        out.extend(self.iter_mut().map(|c| c as &mut dyn Node));
    }
}

/// A collection of child components that gives children added later the recursive registrations
/// made through it ([`Tree::register_recursive`](super::Tree::register_recursive)); children in a
/// `Vec`, an `Option` or an array are only walked when registering. Derefs to a slice.
///
/// ```
/// use hooks_core::Children;
/// let mut xs: Children<Box<dyn hooks_core::Node>> = Children::new();
/// assert!(xs.is_empty());
/// ```
pub struct Children<T> {
    items: Vec<T>,
    /// Each registration with the path of the node holding this collection.
    rules: Vec<(Arc<Rule>, TreePath)>,
}

impl<T> Default for Children<T> {
    fn default() -> Self {
        Children { items: Vec::new(), rules: Vec::new() }
    }
}

impl<T: fmt::Debug> fmt::Debug for Children<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(&self.items).finish()
    }
}

impl<T: Node> Children<T> {
    /// An empty collection.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds `child` at the end, attaching to it (and its subtree) every recursive registration
    /// made through this collection; returns where they landed.
    pub fn push(&mut self, child: T) -> Landing {
        self.items.push(child);
        let i = self.items.len() - 1;
        self.land_at(i)
    }

    /// Inserts `child` at `index` (as `Vec::insert`; out of bounds is `None` and nothing is added),
    /// attaching the recursive registrations as [`push`](Self::push) does.
    pub fn insert(&mut self, index: usize, child: T) -> Option<Landing> {
        if index > self.items.len() {
            return None;
        }
        self.items.insert(index, child);
        Some(self.land_at(index))
    }

    /// Removes and returns the child at `index`, if any (its hooks stay attached to it).
    pub fn remove(&mut self, index: usize) -> Option<T> {
        (index < self.items.len()).then(|| self.items.remove(index))
    }

    /// The child at `index`, mutably (replacing it with `*get_mut(i) = ..` bypasses the
    /// registrations: use [`remove`](Self::remove) and [`insert`](Self::insert) instead).
    pub fn get_mut(&mut self, index: usize) -> Option<&mut T> {
        self.items.get_mut(index)
    }

    /// The children, mutably.
    pub fn iter_mut(&mut self) -> std::slice::IterMut<'_, T> {
        self.items.iter_mut()
    }

    fn land_at(&mut self, i: usize) -> Landing {
        let mut landing = Landing::default();
        for (rule, parent) in &self.rules {
            let child = &mut self.items[i];
            let path = parent.child(child.name());
            land(child, rule, path, &mut landing);
        }
        landing
    }
}

impl<T: Node> FromIterator<T> for Children<T> {
    fn from_iter<I: IntoIterator<Item = T>>(iter: I) -> Self {
        Children { items: iter.into_iter().collect(), rules: Vec::new() }
    }
}

impl<T> std::ops::Deref for Children<T> {
    type Target = [T];
    fn deref(&self) -> &[T] {
        &self.items
    }
}

impl<T: Node> ChildNodes for Children<T> {
    fn collect_nodes<'a>(&'a self, out: &mut Vec<&'a dyn Node>) {
        self.items.collect_nodes(out);
    }
    fn collect_nodes_mut<'a>(&'a mut self, out: &mut Vec<&'a mut dyn Node>) {
        self.items.collect_nodes_mut(out);
    }
    fn __inherit(&mut self, rule: &Arc<Rule>, parent: &TreePath) {
        self.__forget(rule.hook.id(), rule.spec.name());
        self.rules.push((rule.clone(), parent.clone()));
    }
    fn __forget(&mut self, hook_type: TypeId, name: &str) {
        self.rules.retain(|(r, _)| !(r.hook.id() == hook_type && r.spec.name() == name));
    }
}
