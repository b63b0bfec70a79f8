//! Component trees: components that own child components, and hooks registered over a whole tree
//! with a [`Selector`] ([`Tree::register_recursive`]).
//!
//! The rules it applies are documented in [`crate::rules::trees`].

use std::any::{Any, TypeId};
use std::borrow::Cow;
use std::fmt;
use std::sync::Arc;

use crate::attach::attach_erased;
use crate::attach::{AttachedFn, HookSpec};
use crate::component::{Hooks, HooksMixin};
use crate::error::HookError;
use crate::hook::HookId;
use crate::hook::HookType;
use crate::info::HookInfo;
use crate::registry::Provided;
use crate::shim::{IntoHookResult, Step};

mod children;
mod path;

use children::Child;
pub use children::{ChildNodes, ChildVisitor, Children};
pub use path::TreePath;

/// A component seen as a node of a tree, without its type. Implemented for every [`Hooks`] type
/// (and for `Box<dyn Node>`).
pub trait Node: Send + 'static {
    /// The type's name.
    fn type_name(&self) -> &'static str;
    /// The instance's name: its `#[hooks(name)]` field, else its type's name.
    fn name(&self) -> &str;
    /// The instance, for downcasting.
    fn as_any(&self) -> &dyn Any;
    /// The instance, mutably, for downcasting (to call a stage method on a `Box<dyn Node>` child).
    fn as_any_mut(&mut self) -> &mut dyn Any;
    /// Visits each direct child, in field order.
    fn for_each_child(&self, visit: &mut dyn FnMut(&dyn Node)) {
        self.children().into_iter().for_each(visit);
    }
    /// The direct children, in field order (to walk a tree without recursion, keep the nodes
    /// still to visit in a `Vec`, as [`Tree::hook_tree`] does).
    fn children(&self) -> Vec<&dyn Node> {
        let mut children = Vec::new();
        self.__children(&mut children);
        children
    }
    /// This node's hooks (static and attached), as `hook_infos` lists them.
    fn node_hooks(&self) -> Vec<HookInfo>;

    #[doc(hidden)]
    fn __children<'a>(&'a self, out: &mut Vec<&'a dyn Node>);
    #[doc(hidden)]
    fn __children_mut<'a>(&'a mut self, out: &mut ChildVisitor<'a>);
    #[doc(hidden)]
    fn __land(&mut self, rule: &Rule, path: &TreePath) -> Landed;
    #[doc(hidden)]
    fn __remove(&mut self, hook_type: TypeId, name: &str) -> bool;
}

impl<T: Hooks> Node for T {
    fn type_name(&self) -> &'static str {
        T::NAME
    }

    fn name(&self) -> &str {
        self.__hooks_name().unwrap_or(T::NAME)
    }

    fn as_any(&self) -> &dyn Any {
        self
    }

    fn as_any_mut(&mut self) -> &mut dyn Any {
        self
    }

    fn node_hooks(&self) -> Vec<HookInfo> {
        self.hook_infos()
    }

    fn __children<'a>(&'a self, out: &mut Vec<&'a dyn Node>) {
        self.__hooks_children(out);
    }

    fn __children_mut<'a>(&'a mut self, out: &mut ChildVisitor<'a>) {
        self.__hooks_children_mut(out);
    }

    fn __land(&mut self, rule: &Rule, path: &TreePath) -> Landed {
        let landed = |outcome| Landed {
            path: path.clone(),
            type_name: T::NAME,
            hook_type: rule.hook.name,
            name: rule.spec.name().to_owned(),
            outcome,
        };
        if !rule.selector.matches(&NodeRef { node: &*self, path }) {
            return landed(Placement::NotSelected);
        }
        if !T::PROVIDED.contains(rule.hook.key) {
            return landed(Placement::NotProvided);
        }
        // The hook keeps its node's path: a share of the walk's, not a copy of the text.
        let (observer, path) = (rule.observer.clone(), path.clone());
        let call: AttachedFn = Box::new(move |this: &mut dyn Any, arg: &dyn Any| match this.downcast_mut::<T>() {
            Some(this) => Step::Done(observer(&NodeRef { node: &*this, path: &path }, arg)),
            None => Step::mismatch(T::NAME, "receiver"),
        });
        match attach_erased(self, rule.hook, rule.spec.clone(), call, false) {
            Ok(()) => landed(Placement::Attached),
            Err(error) => landed(Placement::Refused(error)),
        }
    }

    fn __remove(&mut self, hook_type: TypeId, name: &str) -> bool {
        self.__hooks_attached_mut().is_some_and(|store| store.remove(TypeId::of::<T>(), hook_type, name))
    }
}

impl Node for Box<dyn Node> {
    fn type_name(&self) -> &'static str {
        (**self).type_name()
    }
    fn name(&self) -> &str {
        (**self).name()
    }
    fn as_any(&self) -> &dyn Any {
        (**self).as_any()
    }
    fn as_any_mut(&mut self) -> &mut dyn Any {
        (**self).as_any_mut()
    }
    fn node_hooks(&self) -> Vec<HookInfo> {
        (**self).node_hooks()
    }
    fn __children<'a>(&'a self, out: &mut Vec<&'a dyn Node>) {
        (**self).__children(out)
    }
    fn __children_mut<'a>(&'a mut self, out: &mut ChildVisitor<'a>) {
        (**self).__children_mut(out)
    }
    fn __land(&mut self, rule: &Rule, path: &TreePath) -> Landed {
        (**self).__land(rule, path)
    }
    fn __remove(&mut self, hook_type: TypeId, name: &str) -> bool {
        (**self).__remove(hook_type, name)
    }
}

/// A node as an observer or a selector sees it: the node and its path in the tree.
#[derive(Clone, Copy)]
pub struct NodeRef<'a> {
    node: &'a dyn Node,
    path: &'a TreePath,
}

impl<'a> NodeRef<'a> {
    /// The node's instance name.
    pub fn name(&self) -> &'a str {
        self.node.name()
    }

    /// The node's type name.
    pub fn type_name(&self) -> &'static str {
        self.node.type_name()
    }

    /// The path from the node the registration was made on: `pipeline/planner`. Formatting it
    /// (`{}`, `to_string()`) makes the text; comparing it with a string does not allocate.
    pub fn path(&self) -> &'a TreePath {
        self.path
    }

    /// Whether the node is a `T`.
    pub fn is<T: Any>(&self) -> bool {
        self.node.as_any().is::<T>()
    }

    /// The node as a `T`, if it is one.
    pub fn downcast_ref<T: Any>(&self) -> Option<&'a T> {
        self.node.as_any().downcast_ref()
    }

    /// The node.
    pub fn node(&self) -> &'a dyn Node {
        self.node
    }
}

impl fmt::Debug for NodeRef<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NodeRef").field("path", &self.path).field("type", &self.type_name()).finish()
    }
}

type Predicate = Arc<dyn Fn(&NodeRef<'_>) -> bool + Send + Sync>;

/// Which nodes of a tree a recursive registration picks: all, by type, by name, by a predicate,
/// or several of these at once ([`and`](Selector::and)).
///
/// ```
/// use hooks_core::Selector;
/// let by_name = Selector::named("planner");
/// let either = Selector::names(["planner", "critic"]);
/// let deep = Selector::when(|node| node.path().depth() >= 3);
/// # let _ = (by_name, either, deep, Selector::all());
/// ```
#[derive(Clone)]
pub struct Selector {
    kind: SelectorKind,
}

#[derive(Clone)]
enum SelectorKind {
    All,
    Type { id: TypeId, name: &'static str, provided: Provided },
    Names(Vec<Cow<'static, str>>),
    Predicate(Predicate),
    And(Box<Selector>, Box<Selector>),
}

impl Selector {
    /// Every node.
    pub fn all() -> Self {
        Selector { kind: SelectorKind::All }
    }

    /// The nodes of type `T`.
    pub fn of_type<T: Hooks>() -> Self {
        Selector { kind: SelectorKind::Type { id: TypeId::of::<T>(), name: T::NAME, provided: T::PROVIDED } }
    }

    /// The nodes whose instance name is `name`.
    pub fn named(name: impl Into<Cow<'static, str>>) -> Self {
        Selector { kind: SelectorKind::Names(vec![name.into()]) }
    }

    /// The nodes whose instance name is one of `names`.
    pub fn names<N: Into<Cow<'static, str>>>(names: impl IntoIterator<Item = N>) -> Self {
        Selector { kind: SelectorKind::Names(names.into_iter().map(Into::into).collect()) }
    }

    /// The nodes for which `predicate` is true.
    pub fn when(predicate: impl Fn(&NodeRef<'_>) -> bool + Send + Sync + 'static) -> Self {
        Selector { kind: SelectorKind::Predicate(Arc::new(predicate)) }
    }

    /// The nodes both selectors pick.
    pub fn and(self, other: Selector) -> Self {
        Selector { kind: SelectorKind::And(Box::new(self), Box::new(other)) }
    }

    /// Whether the selector picks `node`. A panicking predicate picks nothing (and is logged).
    pub fn matches(&self, node: &NodeRef<'_>) -> bool {
        match &self.kind {
            SelectorKind::All => true,
            SelectorKind::Type { id, .. } => node.node.as_any().type_id() == *id,
            SelectorKind::Names(names) => names.iter().any(|n| n == node.name()),
            SelectorKind::Predicate(p) => std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| p(node)))
                .unwrap_or_else(|payload| {
                    let message = crate::error::panic_message(&*payload);
                    tracing::warn!(path = %node.path, %message, "a selector's predicate panicked; node not selected");
                    false
                }),
            SelectorKind::And(a, b) => a.matches(node) && b.matches(node),
        }
    }

    /// Refuses selectors that can never pick a node providing `hook`.
    fn check(&self, root: &'static str, hook: HookId, spec: &HookSpec) -> Result<(), HookError> {
        match &self.kind {
            SelectorKind::Type { name: owner, provided, .. } if !provided.contains(hook.key) => {
                Err(HookError::Unsupported { owner, method: spec.name.clone(), hook_type: hook.name })
            }
            SelectorKind::Names(names) if names.is_empty() || names.iter().any(|n| n.is_empty()) => {
                Err(HookError::BadSelector {
                    owner: root,
                    method: spec.name.clone(),
                    hook_type: hook.name,
                    reason: "a name selector needs at least one non-empty name".to_owned(),
                })
            }
            SelectorKind::And(a, b) => {
                a.check(root, hook, spec)?;
                b.check(root, hook, spec)
            }
            _ => Ok(()),
        }
    }
}

impl fmt::Debug for Selector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            SelectorKind::All => f.write_str("all"),
            SelectorKind::Type { name, .. } => write!(f, "type {name}"),
            SelectorKind::Names(names) => write!(f, "names {names:?}"),
            SelectorKind::Predicate(_) => f.write_str("predicate"),
            SelectorKind::And(a, b) => write!(f, "({a:?}) and ({b:?})"),
        }
    }
}

type Observer = Arc<dyn Fn(&NodeRef<'_>, &dyn Any) -> crate::shim::HookResult + Send + Sync>;

/// One recursive registration: what to attach, where. Kept by [`Children`] collections.
#[doc(hidden)]
pub struct Rule {
    hook: HookId,
    spec: HookSpec,
    selector: Selector,
    observer: Observer,
}

impl fmt::Debug for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Rule")
            .field("hook_type", &self.hook.name)
            .field("name", &self.spec.name())
            .field("selector", &self.selector)
            .finish()
    }
}

/// What happened at one node of a recursive registration.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum Placement {
    /// The hook was attached.
    Attached,
    /// The selector did not pick the node.
    NotSelected,
    /// The selector picked it, but its type does not provide the hook type.
    NotProvided,
    /// Attaching failed (no hook storage, an ordering cycle).
    Refused(HookError),
}

/// One node of a [`Landing`].
#[derive(Debug, Clone)]
pub struct Landed {
    /// The node's path.
    pub path: TreePath,
    /// Its type's name.
    pub type_name: &'static str,
    /// The hook type registered (`"Forward.BEFORE"`).
    pub hook_type: &'static str,
    /// The hook's name.
    pub name: String,
    /// What happened there.
    pub outcome: Placement,
}

/// Where a recursive registration landed: every node walked, in walk order (depth-first, the
/// node itself, then its children in field order).
#[derive(Debug, Clone, Default)]
pub struct Landing {
    /// Every node walked.
    pub nodes: Vec<Landed>,
}

impl Landing {
    /// The paths where the hook was attached (they compare with strings:
    /// `assert_eq!(landing.attached(), ["g/a1"])`).
    pub fn attached(&self) -> Vec<&TreePath> {
        self.nodes.iter().filter(|n| matches!(n.outcome, Placement::Attached)).map(|n| &n.path).collect()
    }

    /// The nodes where attaching failed, with their errors.
    pub fn refused(&self) -> impl Iterator<Item = (&TreePath, &HookError)> {
        self.nodes.iter().filter_map(|n| match &n.outcome {
            Placement::Refused(e) => Some((&n.path, e)),
            _ => None,
        })
    }
}

/// Walks `root` and its subtree depth-first in field order (a node, then each child's subtree),
/// calling `visit` on each node and `visit_list` on each collection of children before its
/// children. The nodes still to visit wait in a `Vec`, not on the call stack: any depth fits any
/// stack. `P` is what each node is given about its place (its path, or nothing), made from its
/// parent's by `child_of`.
fn walk_mut<P>(
    root: &mut dyn Node,
    root_place: P,
    child_of: impl Fn(&P, &dyn Node) -> P,
    mut visit: impl FnMut(&mut dyn Node, &P),
    mut visit_list: impl FnMut(&mut dyn ChildNodes, &P),
) {
    let mut pending = vec![(root, root_place)];
    let (mut found, mut listed) = (ChildVisitor::default(), Vec::new());
    while let Some((node, place)) = pending.pop() {
        visit(&mut *node, &place);
        node.__children_mut(&mut found);
        for child in found.found.drain(..) {
            match child {
                Child::Node(node) => listed.push(node),
                Child::List(list) => {
                    visit_list(&mut *list, &place);
                    list.collect_nodes_mut(&mut listed);
                }
            }
        }
        // Taken from the end: reversed, the first child's subtree is walked first.
        pending.extend(listed.drain(..).rev().map(|node| {
            let place = child_of(&place, &*node);
            (node, place)
        }));
    }
}

/// Applies `rule` to `node` (whose path is `path`) and its subtree.
fn land(node: &mut dyn Node, rule: &Arc<Rule>, path: TreePath, landing: &mut Landing) {
    walk_mut(
        node,
        path,
        |parent, child| parent.child(child.name()),
        |node, path| landing.nodes.push(node.__land(rule, path)),
        |children, path| children.__inherit(rule, path),
    );
}

/// Removes the hook `name` of `hook_type` from `node` and its subtree; counts the nodes it left.
fn unland(node: &mut dyn Node, hook_type: TypeId, name: &str) -> usize {
    let mut removed = 0;
    walk_mut(
        node,
        (),
        |_, _| (),
        |node, _| removed += usize::from(node.__remove(hook_type, name)),
        |children, _| children.__forget(hook_type, name),
    );
    removed
}

/// One node's hooks, as listed by [`Tree::hook_tree`].
#[derive(Debug, Clone)]
pub struct NodeHooks {
    /// The node's path.
    pub path: TreePath,
    /// Its type's name.
    pub type_name: &'static str,
    /// Its hooks (static and attached).
    pub hooks: Vec<HookInfo>,
}

/// Registration over a tree of components: on every [`Node`] (every component, `dyn Node`).
///
/// ```
/// use hooks_core::{hook_type, HooksMixin, Selector, Tree};
/// # use hooks_core::__doc_component as component;
/// hook_type!(pub Ping);
/// # component!(Leaf, Ping);
///
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let mut leaf = Leaf::default();
/// let landing = leaf.register_recursive::<Ping, _, _>("trace", |node, _: &()| println!("{}", node.path()), Selector::all())?;
/// assert_eq!(landing.attached(), ["Leaf"]);
/// leaf.run_hooks::<Ping>().await.unwrap();
/// # Ok::<(), hooks_core::HookError>(()) }).unwrap();
/// ```
pub trait Tree: Node {
    /// Attaches `f` as a hook of type `H` named as `spec` says (a name, or a [`HookSpec`]) to this
    /// node and every descendant that `selector` picks and that provides `H`. `f` receives the
    /// node (its name, type and path) and the hook's argument; for a stage event such as
    /// `Before<Forward>`, the stage's arguments.
    fn register_recursive<H, F, Out>(
        &mut self,
        spec: impl Into<HookSpec>,
        f: F,
        selector: Selector,
    ) -> Result<Landing, HookError>
    where
        H: HookType,
        F: Fn(&NodeRef<'_>, &H::Arg) -> Out + Send + Sync + 'static,
        Out: IntoHookResult,
    {
        let (spec, hook) = (spec.into(), *HookId::of::<H>());
        selector.check(self.type_name(), hook, &spec)?;
        let observer: Observer = Arc::new(move |node: &NodeRef<'_>, arg: &dyn Any| match arg.downcast_ref() {
            Some(arg) => f(node, arg).into_hook_result(),
            None => Err(format!("a recursive hook of {} received another argument type", H::NAME).into()),
        });
        let rule = Arc::new(Rule { hook, spec, selector, observer });
        let mut landing = Landing::default();
        let path = TreePath::root(self.name());
        land(self.as_node_mut(), &rule, path, &mut landing);
        Ok(landing)
    }

    /// Removes the hook of type `H` named `name` from this node and every descendant, and from
    /// the registrations [`Children`] keep; returns how many nodes had it.
    fn remove_recursive<H: HookType>(&mut self, name: &str) -> usize {
        unland(self.as_node_mut(), TypeId::of::<H>(), name)
    }

    /// Every node of the tree with its hooks, depth-first: where each hook landed.
    fn hook_tree(&self) -> Vec<NodeHooks> {
        let mut out = Vec::new();
        // The nodes still to list wait in a `Vec` (not on the call stack), children reversed so
        // that the first is listed first.
        let (mut pending, mut children) = (vec![(self.as_node(), TreePath::root(self.name()))], Vec::new());
        while let Some((node, path)) = pending.pop() {
            node.__children(&mut children);
            pending.extend(children.drain(..).rev().map(|child| (child, path.child(child.name()))));
            out.push(NodeHooks { path, type_name: node.type_name(), hooks: node.node_hooks() });
        }
        out
    }

    #[doc(hidden)]
    fn as_node(&self) -> &dyn Node;
    #[doc(hidden)]
    fn as_node_mut(&mut self) -> &mut dyn Node;
}

impl<T: Node> Tree for T {
    fn as_node(&self) -> &dyn Node {
        self
    }
    fn as_node_mut(&mut self) -> &mut dyn Node {
        self
    }
}

impl From<&'static str> for HookSpec {
    fn from(name: &'static str) -> Self {
        HookSpec::new(name)
    }
}

impl From<String> for HookSpec {
    fn from(name: String) -> Self {
        HookSpec::new(name)
    }
}
