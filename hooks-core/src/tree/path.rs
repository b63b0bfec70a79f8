//! [`TreePath`]: a node's path in a tree, sharing its prefix with its parent's.
//!
//! Every node walked by a recursive registration or listed by `hook_tree` has a path, and the
//! hooks attached keep theirs. Stored as a `String` each, a chain of depth `d` would hold
//! `d²/2` names (issue #11: 100 MB of paths at depth 10,000); here each node adds one link (its
//! own name and its parent's path), and the text is only made when asked for (`Display`).

use std::fmt;
use std::sync::Arc;

/// A node's path in a tree: the names from the node a walk started on down to this node, shown
/// joined with `/` (`pipeline/g1/planner`).
///
/// A path shares everything but its last name with its parent's path, so a tree's paths take
/// memory linear in its node count however deep it is, and cloning one is a reference-count
/// increment. The text is made on demand: format it (`{}`, `to_string()`), or compare it with a
/// string (`path == "pipeline/planner"`, which does not allocate).
///
/// ```
/// use hooks_core::{HooksMixin, Selector, Tree};
/// # use hooks_core::__doc_component as component;
/// # hooks_core::hook_type!(pub Ping);
/// # component!(Leaf, Ping);
/// let mut leaf = Leaf::default();
/// let landing = leaf.register_recursive::<Ping, _, _>("trace", |_, _: &()| {}, Selector::all())?;
/// let path = &landing.nodes[0].path;
/// assert_eq!(*path, "Leaf");
/// assert_eq!((path.name(), path.depth(), path.to_string()), ("Leaf", 1, "Leaf".to_owned()));
/// # Ok::<(), hooks_core::HookError>(())
/// ```
#[derive(Clone)]
pub struct TreePath(Arc<Link>);

/// One name and the path it continues.
struct Link {
    parent: Option<TreePath>,
    name: Box<str>,
    /// Names from the root down to this one (1 for the root).
    depth: usize,
    /// Bytes of the joined text.
    len: usize,
}

impl TreePath {
    /// The path of the node a walk starts on.
    pub(crate) fn root(name: &str) -> Self {
        TreePath(Arc::new(Link { parent: None, name: name.into(), depth: 1, len: name.len() }))
    }

    /// The path of this node's child `name`.
    pub(crate) fn child(&self, name: &str) -> Self {
        TreePath(Arc::new(Link {
            parent: Some(self.clone()),
            name: name.into(),
            depth: self.0.depth + 1,
            len: self.0.len + 1 + name.len(),
        }))
    }

    /// The node's own name: the last name of the path.
    pub fn name(&self) -> &str {
        &self.0.name
    }

    /// The parent node's path; `None` for the node the walk started on.
    pub fn parent(&self) -> Option<&TreePath> {
        self.0.parent.as_ref()
    }

    /// How many names the path has: 1 for the node the walk started on, 2 for its children, ...
    pub fn depth(&self) -> usize {
        self.0.depth
    }

    /// The names from the node the walk started on down to this one (a name may itself contain
    /// a `/`: this is the way to tell them apart).
    pub fn names(&self) -> Vec<&str> {
        let mut names = Vec::with_capacity(self.0.depth);
        let mut at = Some(self);
        while let Some(path) = at {
            names.push(path.name());
            at = path.parent();
        }
        names.reverse();
        names
    }

    /// The names joined with `/`.
    fn text(&self) -> String {
        let mut text = String::with_capacity(self.0.len);
        for (i, name) in self.names().into_iter().enumerate() {
            if i > 0 {
                text.push('/');
            }
            text.push_str(name);
        }
        text
    }

    /// Whether the joined text is `text`, without making it: `text` must end with each name,
    /// from the last, each preceded by a `/` but the first.
    fn is(&self, text: &str) -> bool {
        if text.len() != self.0.len {
            return false;
        }
        let mut rest = text;
        let mut at = Some(self);
        while let Some(path) = at {
            let Some(before) = rest.strip_suffix(path.name()) else { return false };
            at = path.parent();
            rest = match at {
                Some(_) => match before.strip_suffix('/') {
                    Some(before) => before,
                    None => return false,
                },
                None => before,
            };
        }
        rest.is_empty()
    }
}

impl Drop for Link {
    fn drop(&mut self) {
        // Dropping the last handle to a deep path would drop its parent from inside this drop,
        // and so on: one stack frame per level. Unlink the parents here instead, one by one,
        // stopping at the first that another path still shares.
        let mut parent = self.parent.take();
        while let Some(TreePath(link)) = parent {
            parent = Arc::into_inner(link).and_then(|mut link| link.parent.take());
        }
    }
}

impl fmt::Display for TreePath {
    /// The names joined with `/`. Honours width and alignment (`{:<30}`).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(&self.text())
    }
}

impl fmt::Debug for TreePath {
    /// As a string: `"pipeline/planner"`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.text(), f)
    }
}

impl PartialEq for TreePath {
    fn eq(&self, other: &TreePath) -> bool {
        Arc::ptr_eq(&self.0, &other.0) || (self.0.len == other.0.len && self.is(&other.text()))
    }
}

impl Eq for TreePath {}

impl PartialEq<str> for TreePath {
    fn eq(&self, other: &str) -> bool {
        self.is(other)
    }
}

impl PartialEq<&str> for TreePath {
    fn eq(&self, other: &&str) -> bool {
        self.is(other)
    }
}

impl PartialEq<String> for TreePath {
    fn eq(&self, other: &String) -> bool {
        self.is(other)
    }
}

impl PartialEq<TreePath> for str {
    fn eq(&self, other: &TreePath) -> bool {
        other.is(self)
    }
}

impl PartialEq<TreePath> for &str {
    fn eq(&self, other: &TreePath) -> bool {
        other.is(self)
    }
}

impl PartialEq<TreePath> for String {
    fn eq(&self, other: &TreePath) -> bool {
        other.is(self)
    }
}

#[cfg(test)]
mod tests {
    use super::TreePath;

    #[test]
    fn a_path_joins_its_names_and_compares_with_text() {
        let root = TreePath::root("p");
        let leaf = root.child("g1").child("planner");
        assert_eq!(leaf.to_string(), "p/g1/planner");
        assert_eq!(format!("[{leaf:<14}]"), "[p/g1/planner  ]");
        assert_eq!(format!("{leaf:?}"), "\"p/g1/planner\"");
        assert_eq!((leaf.name(), leaf.depth(), leaf.names()), ("planner", 3, vec!["p", "g1", "planner"]));
        assert_eq!(leaf.parent().map(ToString::to_string).as_deref(), Some("p/g1"));
        assert_eq!(leaf, "p/g1/planner");
        assert_eq!("p/g1/planner", leaf);
        assert_eq!(leaf, *"p/g1/planner");
        assert_eq!(leaf, "p/g1/planner".to_owned());
        for other in ["p/g1/planne", "p/g1/planner/", "p/g1planner", "/g1/planner", "q/g1/planner", ""] {
            assert!(leaf != other, "{other:?}");
        }
        // Equal text is an equal path, however it is split into names.
        assert_eq!(TreePath::root("p/g1").child("planner"), leaf);
        assert_ne!(root.child("g2"), root.child("g1"));
    }

    #[test]
    fn a_deep_path_is_shared_and_dropped_without_recursion() {
        // Built and dropped on a small stack: dropping 100,000 links one frame per level would
        // overflow it.
        let thread = std::thread::Builder::new().stack_size(256 << 10).spawn(|| {
            let root = TreePath::root("n");
            let mut leaf = root.clone();
            for _ in 1..100_000 {
                leaf = leaf.child("n");
            }
            assert_eq!(leaf.depth(), 100_000);
            assert_eq!(leaf.to_string().len(), 2 * 100_000 - 1);
            let middle = (0..50_000).try_fold(&leaf, |path, _| path.parent()).cloned();
            assert_eq!(middle.as_ref().map(TreePath::depth), Some(50_000));
            drop(leaf); // the 50,000 links below `middle` go
            drop(root);
            drop(middle); // then the rest
        });
        assert!(thread.expect("spawn").join().is_ok());
    }
}
