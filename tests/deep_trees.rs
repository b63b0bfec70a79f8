//! Deep and wide component trees (issue #11 item 8): every tree walk (`register_recursive`,
//! `remove_recursive`, `hook_tree`, `Children::push` of a late subtree) works at depth 100,000 on
//! a 2 MiB stack (tokio's worker default), and the memory it takes is linear in the node count.
//!
//! Its own test binary: the `#[global_allocator]` below counts the bytes each thread allocates.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use hooks_runtime::prelude::*;
use hooks_runtime::{Landing, Node, Placement};

// ---------------------------------------------------------------------------------------------
// Counting the bytes one thread allocates

thread_local! {
    /// Bytes this thread has asked for while counting (`None`: not counting). Per thread, so that
    /// tests running in parallel do not count each other's allocations.
    static ALLOCATED: Cell<Option<usize>> = const { Cell::new(None) };
}

struct CountingAllocator;

impl CountingAllocator {
    fn count(bytes: usize) {
        // `try_with`: the allocator also runs while a thread's locals are torn down.
        let _ = ALLOCATED.try_with(|cell| {
            if let Some(total) = cell.get() {
                cell.set(Some(total + bytes));
            }
        });
    }
}

// SAFETY: every method forwards its arguments unchanged to `System`, which upholds the
// `GlobalAlloc` contract; the counting only touches a `const`-initialised thread-local `Cell`,
// which neither allocates nor registers a destructor.
#[allow(unsafe_code)]
unsafe impl GlobalAlloc for CountingAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        Self::count(layout.size());
        // SAFETY: the caller's guarantees for `layout` are passed on as they are.
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        Self::count(layout.size());
        // SAFETY: as for `alloc`.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        Self::count(new_size);
        // SAFETY: `ptr` was allocated by `System` (through this allocator) with `layout`.
        unsafe { System.realloc(ptr, layout, new_size) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` was allocated by `System` (through this allocator) with `layout`.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOCATOR: CountingAllocator = CountingAllocator;

/// `f`'s result and the bytes this thread allocated while it ran (a reallocation counts its new
/// size): an upper bound of the memory `f` made live.
fn allocated_by<T>(f: impl FnOnce() -> T) -> (T, usize) {
    ALLOCATED.with(|cell| cell.set(Some(0)));
    let out = f();
    let bytes = ALLOCATED.with(|cell| cell.take()).unwrap_or(0);
    (out, bytes)
}

/// Runs `f` on a thread with a 2 MiB stack, tokio's worker default: a walk that recursed once per
/// level would overflow it a few thousand levels down (and abort the test binary).
fn on_2_mib_stack<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    let thread = std::thread::Builder::new().stack_size(2 << 20).spawn(f).expect("spawn a test thread");
    match thread.join() {
        Ok(out) => out,
        Err(panic) => std::panic::resume_unwind(panic),
    }
}

// ---------------------------------------------------------------------------------------------
// Trees

hook_type!(pub Tick(u32));

const DEPTH: usize = 100_000;
const WIDTH: usize = 100_000;

/// A link of a chain: its next links in a `Children` (which remembers registrations).
#[derive(Hooks, Default)]
#[provides_hooks(Tick)]
struct Link {
    #[hooks(name)]
    name: String,
    attached: AttachedHooks,
    #[hooks(children)]
    next: Children<Link>,
}

fn link(name: String) -> Link {
    Link { name, ..Link::default() }
}

/// A chain of `depth` links named `{prefix}0`, `{prefix}1`, ..., built bottom-up without recursion.
fn chain(prefix: &str, depth: usize) -> Link {
    let mut node = link(format!("{prefix}{}", depth - 1));
    for i in (0..depth - 1).rev() {
        let mut parent = link(format!("{prefix}{i}"));
        parent.next = std::iter::once(node).collect();
        node = parent;
    }
    node
}

/// Drops a tree of links without recursion. The compiler's drop glue for a `Link` drops its
/// children from inside its own drop, one stack frame per level: a deep chain dropped as is would
/// overflow the stack (in the test, not in the code under test), so the links are taken apart
/// from the top, each dropped once it no longer owns a child.
fn dismantle(root: Link) {
    let mut pending = vec![root];
    while let Some(mut node) = pending.pop() {
        while let Some(child) = node.next.remove(0) {
            pending.push(child);
        }
    }
}

/// The deepest link of a chain.
fn last_link(root: &mut Link) -> &mut Link {
    let mut node = root;
    while !node.next.is_empty() {
        node = match node.next.get_mut(0) {
            Some(next) => next,
            None => unreachable!("not empty"),
        };
    }
    node
}

/// A link of a chain whose next link is a `Box<dyn Node>` in an `Option`.
#[derive(Hooks, Default)]
#[provides_hooks(Tick)]
struct DynLink {
    #[hooks(name)]
    name: String,
    attached: AttachedHooks,
    #[hooks(children)]
    next: Option<Box<dyn Node>>,
}

fn dyn_chain(depth: usize) -> DynLink {
    let mut node = DynLink { name: format!("d{}", depth - 1), ..DynLink::default() };
    for i in (0..depth - 1).rev() {
        node = DynLink { name: format!("d{i}"), next: Some(Box::new(node)), ..DynLink::default() };
    }
    node
}

/// Drops a `DynLink` chain without recursion (see [`dismantle`]).
fn dismantle_dyn(root: DynLink) {
    let mut next = root.next;
    while let Some(mut node) = next {
        next = node.as_any_mut().downcast_mut::<DynLink>().and_then(|link| link.next.take());
    }
}

fn noop(_: &NodeRef<'_>, _: &u32) {}

fn attached_count(landing: &Landing) -> usize {
    landing.nodes.iter().filter(|n| matches!(n.outcome, Placement::Attached)).count()
}

// ---------------------------------------------------------------------------------------------
// Tests

#[test]
fn a_chain_of_depth_100_000_registers_lists_pushes_and_removes_on_a_2_mib_stack() {
    on_2_mib_stack(|| {
        let mut root = chain("n", DEPTH);
        let landing = root.register_recursive::<Tick, _, _>("t", noop, Selector::all()).expect("registered");
        assert_eq!(landing.nodes.len(), DEPTH, "one landing per node");
        assert_eq!(attached_count(&landing), DEPTH);
        assert_eq!(landing.nodes[2].path, "n0/n1/n2");
        let deepest = &landing.nodes[DEPTH - 1].path;
        assert_eq!(deepest.to_string().len(), (0..DEPTH).map(|i| format!("n{i}").len() + 1).sum::<usize>() - 1);
        assert!(deepest.to_string().ends_with(&format!("n{}/n{}", DEPTH - 2, DEPTH - 1)));
        drop(landing);

        // A late subtree as deep again, pushed at the bottom: it gets the registration that the
        // bottom link's `Children` remembers, its paths continuing the chain's.
        let late = last_link(&mut root).next.push(chain("m", DEPTH));
        assert_eq!(late.nodes.len(), DEPTH);
        assert_eq!(attached_count(&late), DEPTH);
        assert!(late.nodes[0].path.to_string().ends_with(&format!("n{}/m0", DEPTH - 1)));
        drop(late);

        let listing = root.hook_tree();
        assert_eq!(listing.len(), 2 * DEPTH);
        assert!(listing.iter().all(|n| n.hooks.len() == 1 && n.hooks[0].method == "t"));
        assert_eq!(listing[1].path, "n0/n1");
        drop(listing);

        assert_eq!(root.remove_recursive::<Tick>("t"), 2 * DEPTH);
        assert!(root.hook_tree().iter().all(|n| n.hooks.is_empty()));
        // The registration is forgotten at the bottom too: a later child gets nothing.
        assert!(last_link(&mut root).next.push(link("late".into())).nodes.is_empty());
        dismantle(root);
    });
}

#[test]
fn a_dyn_node_chain_of_depth_100_000_registers_lists_and_removes_on_a_2_mib_stack() {
    on_2_mib_stack(|| {
        let mut root = dyn_chain(DEPTH);
        let landing = root.register_recursive::<Tick, _, _>("t", noop, Selector::all()).expect("registered");
        assert_eq!(landing.nodes.len(), DEPTH);
        assert_eq!(attached_count(&landing), DEPTH);
        assert_eq!(landing.nodes[1].path, "d0/d1");
        drop(landing);
        let listing = root.hook_tree();
        assert_eq!(listing.len(), DEPTH);
        assert!(listing.iter().all(|n| n.hooks.len() == 1));
        drop(listing);
        assert_eq!(root.remove_recursive::<Tick>("t"), DEPTH);
        dismantle_dyn(root);
    });
}

#[test]
fn a_tree_with_100_000_children_registers_lists_pushes_and_removes() {
    on_2_mib_stack(|| {
        let mut root = link("root".into());
        root.next = (0..WIDTH).map(|i| link(format!("c{i}"))).collect();
        let landing = root.register_recursive::<Tick, _, _>("t", noop, Selector::all()).expect("registered");
        assert_eq!(landing.nodes.len(), WIDTH + 1);
        assert_eq!(attached_count(&landing), WIDTH + 1);
        assert_eq!(landing.nodes[WIDTH].path, format!("root/c{}", WIDTH - 1).as_str());
        let late = root.next.push(link("late".into()));
        assert_eq!(late.nodes.len(), 1);
        assert_eq!(late.nodes[0].path, "root/late");
        let listing = root.hook_tree();
        assert_eq!(listing.len(), WIDTH + 2);
        assert!(listing.iter().all(|n| n.hooks.len() == 1));
        assert_eq!(root.remove_recursive::<Tick>("t"), WIDTH + 2);
    });
}

/// Bytes per node that the landing, the hooks attached and the listing of a chain take, at
/// `depth` (on a 2 MiB stack).
fn bytes_per_node(depth: usize) -> (usize, usize, usize) {
    on_2_mib_stack(move || {
        let mut root = chain("n", depth);
        let (landing, registered) =
            allocated_by(|| root.register_recursive::<Tick, _, _>("t", noop, Selector::all()).expect("registered"));
        assert_eq!(landing.nodes.len(), depth);
        let (listing, listed) = allocated_by(|| root.hook_tree());
        assert_eq!(listing.len(), depth);
        let (subtree, bottom) = (chain("m", depth), last_link(&mut root));
        let (late, pushed) = allocated_by(|| bottom.next.push(subtree));
        assert_eq!(late.nodes.len(), depth);
        drop((landing, listing, late));
        dismantle(root);
        (registered / depth, listed / depth, pushed / depth)
    })
}

#[test]
fn memory_for_a_deep_chain_is_linear_in_its_node_count() {
    let (small, large) = (bytes_per_node(1_000), bytes_per_node(DEPTH));
    eprintln!("bytes per node (register, hook_tree, push): depth 1,000 {small:?}, depth {DEPTH} {large:?}");
    // Linear: a node costs about as much at depth 100,000 as at depth 1,000 (the slack covers a
    // `Vec`'s growth by doubling); a full path per node would cost 100 times more.
    for (what, s, l) in [("register", small.0, large.0), ("hook_tree", small.1, large.1), ("push", small.2, large.2)] {
        assert!(l <= 2 * s, "{what}: {l} bytes per node at depth {DEPTH}, {s} at depth 1,000");
    }
    // And in absolute terms: about a kilobyte per node (measured), not the 700 KB that two copies
    // of a 350 KB path (the average at depth 100,000) would take.
    assert!(large.0 < 4096 && large.1 < 4096 && large.2 < 4096, "{large:?}");
}
