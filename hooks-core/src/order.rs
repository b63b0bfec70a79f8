//! THE ordering rule (DESIGN.md "Order"), in one place: this module applies rules 3 to 6; rules
//! 1 and 2 are the walk order (`seq`) of `Table::build`.
//!
//! The rules are documented in [`crate::rules::ordering`].

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::sync::Arc;

use rustc_hash::{FxHashMap, FxHashSet};

use crate::attach::{AttachedHook, AttachedHooks, Snapshot};
use crate::registry::StaticHook;

/// Sorts one hook type's static hooks: by priority, ties in walk order (rules 1 to 3).
/// Rule 2, definition order, for one type's registrations: by source position (file path as the
/// compiler names it, then line and column), then by position in the impl block (hooks that a
/// `macro_rules!` call generates share a position). Several `#[hooks]` impl blocks of one type in
/// different files therefore run in the order of their files' paths, compared as strings
/// (`src/a.rs` before `src/b/c.rs`); in one file, top to bottom.
pub(crate) fn definition_order(registrations: &mut [&'static crate::registry::Registration]) {
    registrations.sort_by_key(|r| (r.location, r.index));
}

/// Rule 4 among attached hooks of one type: by priority, then attach order (`seq` grows with each
/// new name and is unique). The merge with static hooks and the constraints come after
/// ([`schedule`]).
pub(crate) fn attached_order(hooks: &mut [Arc<AttachedHook>]) {
    hooks.sort_unstable_by_key(|h| (h.priority, h.seq));
}

pub(crate) fn static_order(hooks: &mut [StaticHook]) {
    hooks.sort_by_key(|h| (h.reg.priority, h.seq));
}

/// One hook of a run: static (from the table) or attached.
pub(crate) enum Scheduled<'s> {
    Static(&'s StaticHook),
    Attached(&'s AttachedHook),
}

/// The run order of static hooks and attached ones (both already ordered): a merge by
/// priority in which static hooks win ties (rule 4), walked backwards when `reversed` (rule 5).
pub(crate) fn run_order<'s>(
    statics: &'s [StaticHook],
    attached: &'s [Arc<AttachedHook>],
    reversed: bool,
) -> RunOrder<'s> {
    // `attached` comes sorted by priority, then attach order (`AttachedHooks::snapshot`).
    RunOrder { statics, s: (0, statics.len()), a: (0, attached.len()), attached, reversed }
}

/// The lazy priority merge of [`run_order`]: `s` and `a` are the ranges still to yield.
pub(crate) struct RunOrder<'s> {
    statics: &'s [StaticHook],
    attached: &'s [Arc<AttachedHook>],
    s: (usize, usize),
    a: (usize, usize),
    reversed: bool,
}

impl<'s> Iterator for RunOrder<'s> {
    type Item = Scheduled<'s>;

    #[inline]
    fn next(&mut self) -> Option<Self::Item> {
        let (statics, attached) = (self.statics, self.attached);
        let ((s_lo, s_hi), (a_lo, a_hi)) = (self.s, self.a);
        if s_lo == s_hi && a_lo == a_hi {
            return None;
        }
        if !self.reversed {
            let take_static = a_lo == a_hi || (s_lo < s_hi && statics[s_lo].reg.priority <= attached[a_lo].priority);
            if take_static {
                self.s.0 += 1;
                Some(Scheduled::Static(&statics[s_lo]))
            } else {
                self.a.0 += 1;
                Some(Scheduled::Attached(&attached[a_lo]))
            }
        } else {
            // Backwards: the last of the forward order is an attached hook unless a static one has
            // a strictly greater priority.
            let take_attached =
                s_lo == s_hi || (a_lo < a_hi && attached[a_hi - 1].priority >= statics[s_hi - 1].reg.priority);
            if take_attached {
                self.a.1 -= 1;
                Some(Scheduled::Attached(&attached[a_hi - 1]))
            } else {
                self.s.1 -= 1;
                Some(Scheduled::Static(&statics[s_hi - 1]))
            }
        }
    }
}

impl Clone for Scheduled<'_> {
    fn clone(&self) -> Self {
        *self
    }
}

impl Copy for Scheduled<'_> {}

impl Scheduled<'_> {
    /// The name constraints refer to: the method, or the attached name.
    pub(crate) fn name(&self) -> &str {
        match self {
            Scheduled::Static(h) => h.reg.method,
            Scheduled::Attached(h) => &h.name,
        }
    }
}

/// One hook of a fixed run order: a position in the statics or in the snapshot.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Slot {
    Static(usize),
    Attached(usize),
}

/// The hooks of a run in order: the priority merge, or a fixed list when constraints apply.
pub(crate) enum Schedule<'s> {
    Merged(RunOrder<'s>),
    Fixed {
        slots: std::slice::Iter<'s, Slot>,
        statics: &'s [StaticHook],
        attached: &'s [Arc<AttachedHook>],
        reversed: bool,
    },
}

impl<'s> Iterator for Schedule<'s> {
    type Item = Scheduled<'s>;
    #[inline]
    fn next(&mut self) -> Option<Self::Item> {
        match self {
            Schedule::Merged(i) => i.next(),
            Schedule::Fixed { slots, statics, attached, reversed } => {
                let slot = if *reversed { slots.next_back() } else { slots.next() }?;
                Some(match *slot {
                    Slot::Static(i) => Scheduled::Static(&statics[i]),
                    Slot::Attached(i) => Scheduled::Attached(&attached[i]),
                })
            }
        }
    }
}

/// The run order (rules 3 to 6). Without constraints, the merge is walked lazily; with them, the
/// order is computed on the snapshot's first run and kept with it.
pub(crate) fn schedule<'s>(statics: &'s [StaticHook], attached: &'s Snapshot, reversed: bool) -> Schedule<'s> {
    match attached.fixed_order(|| fixed_order(statics, attached)) {
        None => Schedule::Merged(run_order(statics, attached, reversed)),
        Some(slots) => Schedule::Fixed { slots: slots.iter(), statics, attached, reversed },
    }
}

/// The forward run order when constraints apply; `None` for the merge order.
fn fixed_order(statics: &[StaticHook], attached: &[Arc<AttachedHook>]) -> Option<Box<[Slot]>> {
    if attached.iter().all(|h| h.before.is_empty() && h.after.is_empty()) {
        return None;
    }
    let merged: Vec<Scheduled<'_>> = run_order(statics, attached, false).collect();
    // Checked when each hook was attached; should a cycle still be found, the merge order holds.
    let order = constrained(&merged).ok()?;
    let (mut s, mut a) = (0, 0);
    let slots: Vec<Slot> = merged
        .iter()
        .map(|hook| match hook {
            Scheduled::Static(_) => {
                s += 1;
                Slot::Static(s - 1)
            }
            Scheduled::Attached(_) => {
                a += 1;
                Slot::Attached(a - 1)
            }
        })
        .collect();
    Some(order.into_iter().map(|i| slots[i]).collect())
}

/// `hooks` (in merge order) reordered to satisfy every `before`/`after` constraint, moving as
/// little as possible: at each step the earliest hook whose predecessors all ran. A constraint
/// names the first hook of that name in merge order. Gives positions in `hooks`; `Err` names the
/// hooks of a cycle (and those after it), in merge order.
pub(crate) fn constrained(hooks: &[Scheduled<'_>]) -> Result<Vec<usize>, Vec<String>> {
    let n = hooks.len();
    let mut index: FxHashMap<&str, usize> = FxHashMap::default();
    for (i, hook) in hooks.iter().enumerate() {
        index.entry(hook.name()).or_insert(i);
    }
    // edges[a] contains b: a must run before b.
    let mut edges: Vec<Vec<usize>> = vec![Vec::new(); n];
    let mut indegree = vec![0usize; n];
    for (i, hook) in hooks.iter().enumerate() {
        if let Scheduled::Attached(h) = hook {
            for b in h.before.iter().filter_map(|b| index.get(&**b)) {
                edges[i].push(*b);
                indegree[*b] += 1;
            }
            for a in h.after.iter().filter_map(|a| index.get(&**a)) {
                edges[*a].push(i);
                indegree[i] += 1;
            }
        }
    }
    // The ready hooks, earliest first.
    let mut ready: BinaryHeap<Reverse<usize>> = (0..n).filter(|&i| indegree[i] == 0).map(Reverse).collect();
    let mut out = Vec::with_capacity(n);
    while let Some(Reverse(next)) = ready.pop() {
        out.push(next);
        for &t in &edges[next] {
            indegree[t] -= 1;
            if indegree[t] == 0 {
                ready.push(Reverse(t));
            }
        }
    }
    if out.len() < n {
        let mut done = vec![false; n];
        out.iter().for_each(|&i| done[i] = true);
        return Err((0..n).filter(|&i| !done[i]).map(|i| hooks[i].name().to_owned()).collect());
    }
    Ok(out)
}

/// Rule 6 when the hook `name` of `root` and `hook_type` was just attached or replaced: `Err` with
/// the hooks of a cycle (as [`constrained`] names them) when the hook has constraints that make one.
///
/// The others were checked when they were attached, so a new cycle goes through this hook: a walk
/// from it over the hooks that must run after it decides, without sorting everything. A hook
/// without constraints is not refused (as before): should it close a cycle, the hook type is
/// marked, runs fall back to priority order, and its later checks sort everything.
pub(crate) fn check_attached(
    statics: &[StaticHook],
    store: &mut AttachedHooks,
    (root, hook_type): (std::any::TypeId, std::any::TypeId),
    name: &str,
    constrained: bool,
) -> Result<(), Vec<String>> {
    if store.maybe_cyclic(root, hook_type) {
        if !constrained {
            return Ok(());
        }
        full_check(statics, store, (root, hook_type))?;
        store.set_maybe_cyclic(root, hook_type, false);
        return Ok(());
    }
    let graph = Graph { statics, store, root, hook_type };
    if !store.has_constraints(root, hook_type) || !graph.cycle_through(name) {
        return Ok(());
    }
    if constrained {
        full_check(statics, store, (root, hook_type))
    } else {
        store.set_maybe_cyclic(root, hook_type, true);
        Ok(())
    }
}

/// Sorts every hook of one type of `root`: `Err` names the hooks of a cycle.
fn full_check(
    statics: &[StaticHook],
    store: &AttachedHooks,
    (root, hook_type): (std::any::TypeId, std::any::TypeId),
) -> Result<(), Vec<String>> {
    let attached = store.snapshot(root, hook_type);
    let merged: Vec<_> = run_order(statics, &attached, false).collect();
    constrained(&merged).map(drop)
}

/// The constraint graph of one hook type of `root`, read from the store's indexes: an edge a → b
/// when a must run before b.
struct Graph<'a> {
    statics: &'a [StaticHook],
    store: &'a AttachedHooks,
    root: std::any::TypeId,
    hook_type: std::any::TypeId,
}

/// A hook of a [`Graph`]: a position in the statics, or in the store.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
enum Node {
    Static(usize),
    Attached(usize),
}

impl Graph<'_> {
    /// The hook a constraint naming `name` refers to: the first of that name in merge order.
    fn resolve(&self, name: &str) -> Option<Node> {
        // Static hooks are few (methods); attached ones are looked up by name.
        let first_static = self.statics.iter().position(|h| h.reg.method == name);
        match (first_static, self.store.named(self.root, self.hook_type, name)) {
            // The merge puts a static hook first at equal priority.
            (Some(s), Some((a, hook))) => {
                Some(if self.statics[s].reg.priority <= hook.priority { Node::Static(s) } else { Node::Attached(a) })
            }
            (Some(s), None) => Some(Node::Static(s)),
            (None, Some((a, _))) => Some(Node::Attached(a)),
            (None, None) => None,
        }
    }

    fn name(&self, node: Node) -> &str {
        match node {
            Node::Static(s) => self.statics[s].reg.method,
            Node::Attached(a) => &self.store.at(a).name,
        }
    }

    /// The hooks `node` must run before (`forward`) or after: its own constraints, and those of
    /// the attached hooks naming it when it is the hook its name refers to.
    fn neighbours(&self, node: Node, forward: bool, out: &mut Vec<Node>) {
        if let Node::Attached(a) = node {
            let hook = self.store.at(a);
            let own = if forward { &hook.before } else { &hook.after };
            out.extend(own.iter().filter_map(|name| self.resolve(name)));
        }
        let name = self.name(node);
        if self.resolve(name) == Some(node) {
            let naming = self.store.naming(self.root, self.hook_type, name, forward);
            out.extend(naming.iter().map(|&a| Node::Attached(a)));
        }
    }

    /// Whether a path of constraints leads from the attached hook `name` back to itself.
    fn cycle_through(&self, name: &str) -> bool {
        let Some((at, _)) = self.store.named(self.root, self.hook_type, name) else { return false };
        let start = Node::Attached(at);
        let (mut before, mut after) = (Vec::new(), Vec::new());
        self.neighbours(start, false, &mut before);
        self.neighbours(start, true, &mut after);
        // Nothing must run before it, or nothing after it: no cycle through it (the common case
        // of hooks attached after the hooks they name).
        if before.is_empty() || after.is_empty() {
            return false;
        }
        let mut seen: FxHashSet<Node> = FxHashSet::default();
        let mut stack = after;
        while let Some(node) = stack.pop() {
            if node == start {
                return true;
            }
            if seen.insert(node) {
                self.neighbours(node, true, &mut stack);
            }
        }
        false
    }
}
