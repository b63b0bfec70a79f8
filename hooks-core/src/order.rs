//! THE ordering rule (DESIGN.md "Order"), in one place:
//!
//! 1. bases first, depth-first, in field order; then the type's own hooks;
//! 2. within a type, definition order;
//! 3. `priority = N` (default 0, lower first) moves a hook across levels; ties keep 1 and 2;
//! 4. hooks attached at run time come after static ones of equal priority, in attach order;
//! 5. a reversed run (`on_stop`, `run_hooks_reversed`) is the exact reverse.
//!
//! Rules 1 and 2 are the walk order (`seq`) of [`Table::build`](crate::registry::Table::build);
//! this module applies 3 to 5.

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

/// The run order of static hooks (already ordered) and attached ones (in attach order): a merge by
/// priority in which static hooks win ties (rule 4), walked backwards when `reversed` (rule 5).
pub(crate) fn run_order<'s, R>(
    statics: &'s [StaticHook<R>],
    attached: &'s [Arc<AttachedHook>],
    reversed: bool,
) -> impl Iterator<Item = Scheduled<'s, R>> + 's {
    let mut attached_sorted: Vec<&AttachedHook> = attached.iter().map(|h| &**h).collect();
    // Stable: equal priorities keep attach order.
    attached_sorted.sort_by_key(|h| (h.priority, h.seq));
    let (mut s_lo, mut s_hi) = (0, statics.len());
    let (mut a_lo, mut a_hi) = (0, attached_sorted.len());
    std::iter::from_fn(move || {
        if s_lo == s_hi && a_lo == a_hi {
            return None;
        }
        if !reversed {
            let take_static =
                a_lo == a_hi || (s_lo < s_hi && statics[s_lo].reg.priority <= attached_sorted[a_lo].priority);
            if take_static {
                s_lo += 1;
                Some(Scheduled::Static(&statics[s_lo - 1]))
            } else {
                a_lo += 1;
                Some(Scheduled::Attached(attached_sorted[a_lo - 1]))
            }
        } else {
            // Backwards: the last of the forward order is an attached hook unless a static one has
            // a strictly greater priority.
            let take_attached =
                s_lo == s_hi || (a_lo < a_hi && attached_sorted[a_hi - 1].priority >= statics[s_hi - 1].reg.priority);
            if take_attached {
                a_hi -= 1;
                Some(Scheduled::Attached(attached_sorted[a_hi]))
            } else {
                s_hi -= 1;
                Some(Scheduled::Static(&statics[s_hi]))
            }
        }
    })
}
