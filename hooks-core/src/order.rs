//! THE ordering rule (DESIGN.md "Order"), in one place:
//!
//! 1. bases first, depth-first, in field order; then the type's own hooks;
//! 2. within a type, definition order;
//! 3. `priority = N` (default 0, lower first) moves a hook across levels; ties keep 1 and 2;
//! 4. hooks attached at run time come after static ones of equal priority, in attach order;
//! 5. a reversed run (`on_stop`, `run_hooks_reversed`) is the exact reverse;
//! 6. `before = "name"` / `after = "name"` constraints of run-time hooks move them just as far as
//!    needed (a stable topological sort: otherwise rules 1 to 4 hold); contradicting constraints
//!    are refused when the hook is attached, with the cycle named. A constraint naming a hook that
//!    does not exist (yet) has no effect.
//!
//! Rules 1 and 2 are the walk order (`seq`) of [`Table::build`](crate::registry::Table::build);
//! this module applies 3 to 6.

use std::sync::Arc;

use crate::attach::AttachedHook;
use crate::registry::StaticHook;

/// Sorts one hook type's static hooks: by priority, ties in walk order (rules 1 to 3).
pub(crate) fn static_order<R>(hooks: &mut [StaticHook<R>]) {
    hooks.sort_by_key(|h| (h.reg.priority, h.seq));
}

/// One hook of a run: static (from the table) or attached.
pub(crate) enum Scheduled<'s, R> {
    Static(&'s StaticHook<R>),
    Attached(&'s AttachedHook),
}

/// The run order of static hooks and attached ones (both already ordered): a merge by
/// priority in which static hooks win ties (rule 4), walked backwards when `reversed` (rule 5).
pub(crate) fn run_order<'s, R>(
    statics: &'s [StaticHook<R>],
    attached: &'s [Arc<AttachedHook>],
    reversed: bool,
) -> RunOrder<'s, R> {
    // `attached` comes sorted by priority, then attach order (`AttachedHooks::snapshot`).
    RunOrder { statics, s: (0, statics.len()), a: (0, attached.len()), attached, reversed }
}

/// The lazy priority merge of [`run_order`]: `s` and `a` are the ranges still to yield.
pub(crate) struct RunOrder<'s, R> {
    statics: &'s [StaticHook<R>],
    attached: &'s [Arc<AttachedHook>],
    s: (usize, usize),
    a: (usize, usize),
    reversed: bool,
}

impl<'s, R> Iterator for RunOrder<'s, R> {
    type Item = Scheduled<'s, R>;

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

impl<R> Clone for Scheduled<'_, R> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<R> Copy for Scheduled<'_, R> {}

impl<R> Scheduled<'_, R> {
    /// The name constraints refer to: the method, or the attached name.
    pub(crate) fn name(&self) -> &str {
        match self {
            Scheduled::Static(h) => h.reg.method,
            Scheduled::Attached(h) => &h.name,
        }
    }
}

/// The hooks of a run in order: the priority merge, or a fixed list when constraints apply.
pub(crate) enum Schedule<'s, R> {
    Merged(RunOrder<'s, R>),
    Fixed(std::vec::IntoIter<Scheduled<'s, R>>),
}

impl<'s, R> Iterator for Schedule<'s, R> {
    type Item = Scheduled<'s, R>;
    #[inline]
    fn next(&mut self) -> Option<Self::Item> {
        match self {
            Schedule::Merged(i) => i.next(),
            Schedule::Fixed(i) => i.next(),
        }
    }
}

/// The run order (rules 3 to 6). Without constraints, the merge is walked lazily.
pub(crate) fn schedule<'s, R>(
    statics: &'s [StaticHook<R>],
    attached: &'s [Arc<AttachedHook>],
    reversed: bool,
) -> Schedule<'s, R> {
    if attached.iter().all(|h| h.before.is_empty() && h.after.is_empty()) {
        return Schedule::Merged(run_order(statics, attached, reversed));
    }
    let forward: Vec<Scheduled<'s, R>> = run_order(statics, attached, false).collect();
    // Checked when each hook was attached; should a cycle still be found, the merge order holds.
    let mut fixed = constrained(&forward).unwrap_or(forward);
    if reversed {
        fixed.reverse();
    }
    Schedule::Fixed(fixed.into_iter())
}

/// `hooks` (in merge order) reordered to satisfy every `before`/`after` constraint, moving as
/// little as possible: at each step the earliest hook whose predecessors all ran. `Err` names the
/// hooks of a cycle.
pub(crate) fn constrained<'s, R>(hooks: &[Scheduled<'s, R>]) -> Result<Vec<Scheduled<'s, R>>, Vec<String>> {
    let n = hooks.len();
    let index = |name: &str| hooks.iter().position(|h| h.name() == name);
    // edges[a] contains b: a must run before b.
    let mut edges: Vec<Vec<usize>> = vec![Vec::new(); n];
    for (i, hook) in hooks.iter().enumerate() {
        if let Scheduled::Attached(h) = hook {
            edges[i].extend(h.before.iter().filter_map(|b| index(b)));
            for a in h.after.iter().filter_map(|a| index(a)) {
                edges[a].push(i);
            }
        }
    }
    let mut indegree = vec![0usize; n];
    for targets in &edges {
        for &t in targets {
            indegree[t] += 1;
        }
    }
    let mut done = vec![false; n];
    let mut out = Vec::with_capacity(n);
    while out.len() < n {
        let Some(next) = (0..n).find(|&i| !done[i] && indegree[i] == 0) else {
            let cycle = (0..n).filter(|&i| !done[i]).map(|i| hooks[i].name().to_owned()).collect();
            return Err(cycle);
        };
        done[next] = true;
        for &t in &edges[next] {
            indegree[t] -= 1;
        }
        out.push(hooks[next]);
    }
    Ok(out)
}
