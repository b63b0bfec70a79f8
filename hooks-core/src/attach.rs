//! Hooks attached to one instance at run time, by name: [`HookSpec`] says how (priority, context
//! tags, enabled, error handler, params), [`AttachedHooks`] keeps them with their statistics.
//!
//! The rules it applies are documented in [`crate::rules::named_hooks`].

mod ops;
pub(crate) use ops::{attach, attach_erased, attach_sync, set_enabled};

use std::any::{Any, TypeId};
use std::borrow::Cow;
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use rustc_hash::FxHashMap;

use crate::error::HookError;
use crate::order::Slot;
use crate::params::{IntoParams, ParamValue};
use crate::shim::Step;

/// The erased call of a hook attached to a component: the receiver is the component (erased; the
/// closure downcasts it to the type it was attached to), the argument the hook type's.
pub(crate) type AttachedFn = Box<dyn for<'a> Fn(&'a mut dyn Any, &'a dyn Any) -> Step<'a> + Send + Sync>;

/// The first half of an around-hook: called before the hooks it wraps (the component erased).
pub(crate) type AroundBefore = Box<dyn Fn(&mut dyn Any, &dyn Any) + Send + Sync>;
/// The second half: sees the wrapped hooks' combined result and values, and may replace them.
pub(crate) type AroundAfter = Box<dyn Fn(&mut dyn Any, &dyn Any, &mut Wrapped<'_>) + Send + Sync>;

/// What an around-hook's second half sees of the run it wraps (`HooksMixin::attach_wrapper`):
/// the combined result, and in a report run (`run_hooks_report`: first-result runs, collected
/// values) the values the hooks returned. It may replace both.
pub struct Wrapped<'r> {
    pub(crate) result: Result<(), crate::MultiError>,
    pub(crate) report: Option<&'r mut crate::report::RunReport>,
    pub(crate) owner: &'static str,
    pub(crate) name: Cow<'static, str>,
}

impl Wrapped<'_> {
    /// The run's result so far (the wrapped hooks', as the inner around-hooks left it).
    pub fn result(&self) -> &Result<(), crate::MultiError> {
        &self.result
    }

    /// Makes `result` the run's result (turn a failure into success, or fail a run).
    pub fn set_result(&mut self, result: Result<(), crate::MultiError>) {
        self.result = result;
    }

    /// The values of type `V` the hooks returned, with the hooks' names (a report run only; a
    /// plain `run_hooks` keeps no values).
    pub fn values<V: Any>(&self) -> Vec<(&str, &V)> {
        self.report.as_deref().map(|r| r.values::<V>()).unwrap_or_default()
    }

    /// The first value of type `V` (with `RunSpec::first_value`, the run's result value).
    pub fn first<V: Any>(&self) -> Option<&V> {
        self.report.as_deref()?.first::<V>()
    }

    /// Replaces the first value the hooks returned with `value`, or, when none returned one,
    /// adds it as this around-hook's own; `false` outside a report run (nothing keeps values).
    pub fn set_value<V: Any + Send + Sync>(&mut self, value: V) -> bool {
        let Some(report) = self.report.as_deref_mut() else { return false };
        match report.hooks.iter_mut().find(|h| h.value.is_some()) {
            Some(hook) => hook.value = Some(Box::new(value)),
            None => report.hooks.push(crate::report::HookRun {
                owner: self.owner,
                name: self.name.clone(),
                outcome: crate::report::Outcome::Ok,
                duration: std::time::Duration::ZERO,
                value: Some(Box::new(value)),
            }),
        }
        true
    }
}

/// An around-hook attached to one component.
pub(crate) struct AroundHook {
    pub(crate) root: TypeId,
    pub(crate) hook_type: TypeId,
    pub(crate) name: Cow<'static, str>,
    pub(crate) before: AroundBefore,
    pub(crate) after: AroundAfter,
}

/// Called with a hook's error after it failed (the error is still reported).
pub type ErrorHandler = Arc<dyn Fn(&HookError) + Send + Sync>;

/// How a hook is attached: its name and options. Built with chained calls.
///
/// ```
/// use hooks_core::HookSpec;
///
/// let spec = HookSpec::new("wallet").priority(5).context("billing").on_error(|e| eprintln!("{e}"));
/// assert_eq!(spec.name(), "wallet");
/// ```
#[derive(Clone)]
#[must_use]
pub struct HookSpec {
    pub(crate) name: Cow<'static, str>,
    pub(crate) priority: i32,
    pub(crate) tags: Vec<Cow<'static, str>>,
    pub(crate) enabled: bool,
    pub(crate) params: Vec<ParamValue>,
    /// Params computed from the instance, when given (`params_from`).
    pub(crate) dynamic: Option<DynamicParams>,
    pub(crate) on_error: Option<ErrorHandler>,
    pub(crate) before: Vec<Cow<'static, str>>,
    pub(crate) after: Vec<Cow<'static, str>>,
}

/// Params computed from the instance a hook is attached to (`HookSpec::params_from`): the
/// instance's type, and the erased closure.
#[derive(Clone)]
pub(crate) struct DynamicParams {
    pub(crate) root: TypeId,
    pub(crate) root_name: &'static str,
    pub(crate) resolve: ResolveParams,
}

/// A params closure, erased over the instance's type.
pub(crate) type ResolveParams = Arc<dyn Fn(&dyn Any) -> Vec<ParamValue> + Send + Sync>;

impl HookSpec {
    /// A hook named `name`: priority 0, no context tag (runs in every context), enabled.
    pub fn new(name: impl Into<Cow<'static, str>>) -> Self {
        HookSpec {
            name: name.into(),
            priority: 0,
            tags: Vec::new(),
            enabled: true,
            params: Vec::new(),
            dynamic: None,
            on_error: None,
            before: Vec::new(),
            after: Vec::new(),
        }
    }

    /// The name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Lower runs first; static hooks have 0 unless their attribute says `priority = N`.
    pub fn priority(mut self, priority: i32) -> Self {
        self.priority = priority;
        self
    }

    /// Tags the hook with a context: a run that names another context skips it (a run that names
    /// none, or this one, runs it). May be called several times.
    pub fn context(mut self, tag: impl Into<Cow<'static, str>>) -> Self {
        self.tags.push(tag.into());
        self
    }

    /// Attaches the hook disabled: listed and reported, not run until enabled.
    pub fn disabled(mut self) -> Self {
        self.enabled = false;
        self
    }

    /// Params, as for `#[on_message(..)]` (message types route messages to the hook).
    pub fn params(mut self, params: impl IntoParams) -> Self {
        self.params = params.into_params();
        self
    }

    /// Params computed from the instance the hook is attached to, each time they are read (as
    /// `#[on_message(|this: &Self| ..)]` does for a static hook): a message hook's types when the
    /// component starts and whenever its attached hooks change, a background task's interval
    /// after each run. `R` is the type the hook is attached to (else the attach is refused).
    ///
    /// ```
    /// use hooks_core::HookSpec;
    ///
    /// struct Worker { debug: bool }
    /// let spec = HookSpec::new("debug").params_from(|w: &Worker| if w.debug { vec!["debug"] } else { vec![] });
    /// ```
    pub fn params_from<R: Any, P: IntoParams>(mut self, f: impl Fn(&R) -> P + Send + Sync + 'static) -> Self {
        let resolve = move |this: &dyn Any| this.downcast_ref::<R>().map(|r| f(r).into_params()).unwrap_or_default();
        self.dynamic = Some(DynamicParams {
            root: TypeId::of::<R>(),
            root_name: std::any::type_name::<R>(),
            resolve: Arc::new(resolve),
        });
        self
    }

    /// Params that route messages (`Key`s): what `#[on_message(A, B)]` makes.
    pub fn keys<K: crate::KeyValue>(mut self, keys: impl IntoIterator<Item = K>) -> Self {
        self.params = keys.into_iter().map(ParamValue::key).collect();
        self
    }

    /// Runs this hook before the hook (static method or attached name) `other` of the same type,
    /// whatever their priorities.
    pub fn before(mut self, other: impl Into<Cow<'static, str>>) -> Self {
        self.before.push(other.into());
        self
    }

    /// Runs this hook after the hook `other` of the same type, whatever their priorities.
    pub fn after(mut self, other: impl Into<Cow<'static, str>>) -> Self {
        self.after.push(other.into());
        self
    }

    /// Called with the hook's error when it fails or panics (the run still reports it).
    pub fn on_error(mut self, handler: impl Fn(&HookError) + Send + Sync + 'static) -> Self {
        self.on_error = Some(Arc::new(handler));
        self
    }
}

impl fmt::Debug for HookSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HookSpec")
            .field("name", &self.name)
            .field("priority", &self.priority)
            .field("tags", &self.tags)
            .field("enabled", &self.enabled)
            .finish_non_exhaustive()
    }
}

/// How often a hook ran and for how long in total (recorded when stats are on, see
/// `HooksMixin::enable_stats`, and in every `run_hooks_report`).
#[derive(Debug, Default)]
pub struct HookStats {
    calls: AtomicU64,
    nanos: AtomicU64,
}

impl HookStats {
    pub(crate) fn record(&self, took: Duration) {
        self.calls.fetch_add(1, Ordering::Relaxed);
        self.nanos.fetch_add(u64::try_from(took.as_nanos()).unwrap_or(u64::MAX), Ordering::Relaxed);
    }

    /// Calls so far.
    pub fn calls(&self) -> u64 {
        self.calls.load(Ordering::Relaxed)
    }

    /// Total time so far.
    pub fn total(&self) -> Duration {
        Duration::from_nanos(self.nanos.load(Ordering::Relaxed))
    }
}

/// A static hook of one component: (component, hook type, owner, method).
pub(crate) type StaticKey = (TypeId, TypeId, &'static str, &'static str);

/// One hook attached at run time.
#[derive(Clone)]
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
    /// Params computed from the instance (`HookSpec::params_from`), and what they must be.
    pub(crate) dynamic: Option<(DynamicParams, crate::hook::ParamKind)>,
    pub(crate) tags: Vec<Cow<'static, str>>,
    pub(crate) enabled: bool,
    pub(crate) on_error: Option<ErrorHandler>,
    pub(crate) before: Vec<Cow<'static, str>>,
    pub(crate) after: Vec<Cow<'static, str>>,
    pub(crate) is_async: bool,
    pub(crate) stats: Arc<HookStats>,
    /// The call, for an instance of the type behind `root`.
    pub(crate) call: Arc<AttachedFn>,
}

impl AttachedHook {
    /// Its params, computed now from `root` (the instance it is attached to) when they are
    /// dynamic: a closure that panics, or gives params its hook type does not take, is an error.
    pub(crate) fn params_of(&self, root: &dyn Any) -> Result<Vec<ParamValue>, String> {
        let Some((dynamic, kind)) = &self.dynamic else { return Ok(self.params.clone()) };
        let params = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| (dynamic.resolve)(root)))
            .map_err(|payload| format!("its params closure panicked: {}", crate::error::panic_message(&*payload)))?;
        kind.check(params)
    }
}

/// The attached hooks of one run, in priority order (a cheap clone), with their run order once a
/// run computed it: constraints are resolved once per change, not at every attach or run.
#[derive(Clone, Default)]
pub(crate) struct Snapshot(Option<Arc<Shared>>);

struct Shared {
    hooks: Box<[Arc<AttachedHook>]>,
    order: OnceLock<Option<Box<[Slot]>>>,
}

impl Snapshot {
    fn new(hooks: Vec<Arc<AttachedHook>>) -> Self {
        // Nothing attached: no allocation (runs of a component without attached hooks take one).
        Snapshot((!hooks.is_empty()).then(|| Arc::new(Shared { hooks: hooks.into(), order: OnceLock::new() })))
    }

    /// The run order when constraints reorder the hooks, computed by `compute` on first use.
    pub(crate) fn fixed_order(&self, compute: impl FnOnce() -> Option<Box<[Slot]>>) -> Option<&[Slot]> {
        self.0.as_ref()?.order.get_or_init(compute).as_deref()
    }
}

impl std::ops::Deref for Snapshot {
    type Target = [Arc<AttachedHook>];
    fn deref(&self) -> &Self::Target {
        self.0.as_ref().map_or(&[], |shared| &shared.hooks)
    }
}

/// The hooks attached to one (component, hook type), by name: what attaching, replacing and the
/// ordering constraints look up, where a scan of every attached hook made attaching n hooks
/// quadratic (issue #11 item 9). Positions are indices into [`AttachedHooks::hooks`].
#[derive(Clone, Default)]
struct Group {
    by_name: FxHashMap<Cow<'static, str>, usize>,
    /// Name → the hooks whose `before` names it (they must run before it).
    before_refs: FxHashMap<Cow<'static, str>, Vec<usize>>,
    /// Name → the hooks whose `after` names it (they must run after it).
    after_refs: FxHashMap<Cow<'static, str>, Vec<usize>>,
    /// How many of its hooks have constraints.
    constrained: usize,
}

impl Group {
    fn add(&mut self, hook: &AttachedHook, at: usize) {
        self.by_name.insert(hook.name.clone(), at);
        for name in &hook.before {
            self.before_refs.entry(name.clone()).or_default().push(at);
        }
        for name in &hook.after {
            self.after_refs.entry(name.clone()).or_default().push(at);
        }
        self.constrained += usize::from(!hook.before.is_empty() || !hook.after.is_empty());
    }

    fn forget(&mut self, hook: &AttachedHook, at: usize) {
        if self.by_name.get(&hook.name) == Some(&at) {
            self.by_name.remove(&hook.name);
        }
        for (refs, names) in [(&mut self.before_refs, &hook.before), (&mut self.after_refs, &hook.after)] {
            for name in names {
                if let Some(at_refs) = refs.get_mut(name) {
                    at_refs.retain(|&p| p != at);
                    if at_refs.is_empty() {
                        refs.remove(name);
                    }
                }
            }
        }
        self.constrained -= usize::from(!hook.before.is_empty() || !hook.after.is_empty());
    }
}

/// One change of [`AttachedHooks::hooks`], recorded while a [`Checkpoint`] is open so that a
/// failed registration can be undone without a copy of the store.
#[derive(Clone)]
enum Change {
    Pushed,
    Replaced(usize, Arc<AttachedHook>),
    Removed(usize, Arc<AttachedHook>),
}

/// The state of a store to return to ([`AttachedHooks::checkpoint`]): the log position of its
/// attached hooks, and a copy of everything else (small: disabled names, statistics, around-hooks).
pub(crate) struct Checkpoint {
    changes: usize,
    /// Whether this checkpoint started the log (and so ends it).
    outermost: bool,
    generation: u64,
    next_seq: u64,
    disabled: Vec<(TypeId, TypeId, Cow<'static, str>)>,
    static_stats: Option<Vec<(StaticKey, Arc<HookStats>)>>,
    arounds: Vec<Arc<AroundHook>>,
    history: Vec<((TypeId, TypeId), std::collections::VecDeque<crate::hook::Remembered>)>,
    cyclic: Vec<(TypeId, TypeId)>,
}

/// Where a component keeps the hooks attached to it at run time, the static hooks it disabled,
/// and per-hook statistics.
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
    /// In attach order (a replaced hook keeps its position).
    hooks: Vec<Arc<AttachedHook>>,
    /// Per (component, hook type) that has attached hooks, once: what `has` scans (a stage with
    /// no observer asks on every call, hence the keys side by side) and the look-ups by name.
    groups: Vec<((TypeId, TypeId), Box<Group>)>,
    /// Bumped on every attach, replace and remove (see [`generation`](Self::generation)).
    generation: u64,
    next_seq: u64,
    /// Static hooks disabled by name: (component, hook type, method).
    disabled: Vec<(TypeId, TypeId, Cow<'static, str>)>,
    /// Statistics of static hooks, when on: (component, hook type, owner, method).
    static_stats: Option<Vec<(StaticKey, Arc<HookStats>)>>,
    /// Snapshots of the attached hooks per (component, hook type), dropped on every change.
    snapshots: Vec<((TypeId, TypeId), Snapshot)>,
    /// Around-hooks, in attach order (the first attached is the outermost).
    arounds: Vec<Arc<AroundHook>>,
    /// Past arguments of historic hook types: (component, hook type) → the last ones.
    history: Vec<((TypeId, TypeId), std::collections::VecDeque<crate::hook::Remembered>)>,
    /// The (component, hook type)s whose constraints may make a cycle: a hook without constraints
    /// that closes one is accepted (its run falls back to priority order, see `order::schedule`),
    /// so later checks there cannot assume the others are acyclic.
    cyclic: Vec<(TypeId, TypeId)>,
    /// Changes to `hooks` since the outermost open [`Checkpoint`].
    changes: Option<Vec<Change>>,
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

    /// A number that changes whenever a hook is attached, replaced or removed: the runtime
    /// re-resolves a running component's message routes when it changes.
    ///
    /// ```
    /// use hooks_core::AttachedHooks;
    /// assert_eq!(AttachedHooks::new().generation(), 0);
    /// ```
    pub fn generation(&self) -> u64 {
        self.generation
    }

    /// Whether a hook of `hook_type` is attached to `root` (enabled or not).
    #[inline]
    pub(crate) fn has(&self, root: TypeId, hook_type: TypeId) -> bool {
        self.groups.iter().any(|&((r, t), _)| t == hook_type && r == root)
    }

    /// Whether a run of `hook_type` on `root` has anything to do with this store: attached,
    /// disabled or around-hooks of that type, or statistics (else it takes the fast path).
    #[inline]
    pub(crate) fn touches(&self, root: TypeId, hook_type: TypeId) -> bool {
        self.static_stats.is_some()
            || self.has(root, hook_type)
            || self.disabled.iter().any(|(r, t, _)| *t == hook_type && *r == root)
            || self.arounds.iter().any(|a| a.hook_type == hook_type && a.root == root)
    }

    fn group(&self, root: TypeId, hook_type: TypeId) -> Option<&Group> {
        self.groups.iter().find(|(key, _)| *key == (root, hook_type)).map(|(_, group)| &**group)
    }

    fn group_mut(&mut self, key: (TypeId, TypeId)) -> &mut Group {
        let at = match self.groups.iter().position(|(k, _)| *k == key) {
            Some(at) => at,
            None => {
                self.groups.push((key, Box::default()));
                self.groups.len() - 1
            }
        };
        &mut self.groups[at].1
    }

    fn position(&self, root: TypeId, hook_type: TypeId, name: &str) -> Option<usize> {
        self.group(root, hook_type)?.by_name.get(name).copied()
    }

    /// The attached hook `name` of one hook type of `root`, with its position.
    pub(crate) fn named(&self, root: TypeId, hook_type: TypeId, name: &str) -> Option<(usize, &Arc<AttachedHook>)> {
        let at = self.position(root, hook_type, name)?;
        Some((at, &self.hooks[at]))
    }

    /// The attached hook at `at` (a position given by [`named`](Self::named) or the refs).
    pub(crate) fn at(&self, at: usize) -> &AttachedHook {
        &self.hooks[at]
    }

    /// The positions of the hooks of one hook type of `root` whose `before` (`after == false`) or
    /// `after` constraints name `name`.
    pub(crate) fn naming(&self, root: TypeId, hook_type: TypeId, name: &str, after: bool) -> &[usize] {
        let Some(group) = self.group(root, hook_type) else { return &[] };
        let refs = if after { &group.after_refs } else { &group.before_refs };
        refs.get(name).map_or(&[], Vec::as_slice)
    }

    /// Whether any attached hook of one hook type of `root` has constraints.
    pub(crate) fn has_constraints(&self, root: TypeId, hook_type: TypeId) -> bool {
        self.group(root, hook_type).is_some_and(|g| g.constrained > 0)
    }

    /// Whether the constraints of one hook type of `root` may make a cycle (see `cyclic`).
    pub(crate) fn maybe_cyclic(&self, root: TypeId, hook_type: TypeId) -> bool {
        self.cyclic.contains(&(root, hook_type))
    }

    /// Records whether the constraints of one hook type of `root` may make a cycle.
    pub(crate) fn set_maybe_cyclic(&mut self, root: TypeId, hook_type: TypeId, cyclic: bool) {
        self.cyclic.retain(|&k| k != (root, hook_type));
        if cyclic {
            self.cyclic.push((root, hook_type));
        }
    }

    // The three changes of `hooks`: each keeps the groups up to date and is logged for a rollback.

    fn push_hook(&mut self, hook: Arc<AttachedHook>) {
        let at = self.hooks.len();
        self.group_mut((hook.root, hook.hook_type)).add(&hook, at);
        self.hooks.push(hook);
        self.log(Change::Pushed);
    }

    fn replace_hook(&mut self, at: usize, hook: Arc<AttachedHook>) -> Arc<AttachedHook> {
        let old = std::mem::replace(&mut self.hooks[at], hook.clone());
        let group = self.group_mut((hook.root, hook.hook_type));
        group.forget(&old, at);
        group.add(&hook, at);
        self.log(Change::Replaced(at, old.clone()));
        old
    }

    fn remove_hook_at(&mut self, at: usize) -> Arc<AttachedHook> {
        let old = self.hooks.remove(at);
        if at == self.hooks.len() {
            self.group_mut((old.root, old.hook_type)).forget(&old, at);
            self.groups.retain(|(_, group)| !group.by_name.is_empty());
        } else {
            // Later positions moved: rare (removing a hook), so rebuilt rather than shifted.
            self.reindex();
        }
        self.log(Change::Removed(at, old.clone()));
        old
    }

    fn log(&mut self, change: Change) {
        if let Some(changes) = &mut self.changes {
            changes.push(change);
        }
    }

    /// Rebuilds the groups from `hooks`.
    fn reindex(&mut self) {
        self.groups.clear();
        for at in 0..self.hooks.len() {
            let hook = self.hooks[at].clone();
            self.group_mut((hook.root, hook.hook_type)).add(&hook, at);
        }
    }

    /// Adds `hook`, or replaces the hook of the same component, type and name in place; the
    /// previous hook of that name, if any, is returned (to restore it when the result is refused).
    pub(crate) fn put(&mut self, mut hook: AttachedHook) -> Option<Arc<AttachedHook>> {
        self.snapshots.clear();
        self.generation += 1;
        match self.position(hook.root, hook.hook_type, &hook.name) {
            Some(at) => {
                hook.seq = self.hooks[at].seq;
                hook.stats = self.hooks[at].stats.clone();
                Some(self.replace_hook(at, Arc::new(hook)))
            }
            None => {
                hook.seq = self.next_seq;
                self.next_seq += 1;
                self.push_hook(Arc::new(hook));
                None
            }
        }
    }

    /// Undoes a `put`: restores `previous` in place of the hook named `name`, or removes it.
    pub(crate) fn undo_put(
        &mut self,
        root: TypeId,
        hook_type: TypeId,
        name: &str,
        previous: Option<Arc<AttachedHook>>,
    ) {
        self.snapshots.clear();
        self.generation += 1;
        if let Some(at) = self.position(root, hook_type, name) {
            match previous {
                Some(previous) => {
                    self.replace_hook(at, previous);
                }
                None => {
                    self.remove_hook_at(at);
                }
            }
        }
    }

    /// Starts recording changes, to return to the store as it is now with
    /// [`rollback`](Self::rollback), or to keep them with [`commit`](Self::commit). Checkpoints
    /// nest. Costs a copy of the store's small parts, not of its attached hooks: a copy per
    /// registration made registering n callbacks quadratic (issue #11 item 9).
    pub(crate) fn checkpoint(&mut self) -> Checkpoint {
        let outermost = self.changes.is_none();
        let changes = self.changes.get_or_insert_with(Vec::new).len();
        Checkpoint {
            changes,
            outermost,
            generation: self.generation,
            next_seq: self.next_seq,
            disabled: self.disabled.clone(),
            static_stats: self.static_stats.clone(),
            arounds: self.arounds.clone(),
            history: self.history.clone(),
            cyclic: self.cyclic.clone(),
        }
    }

    /// Keeps the changes made since `checkpoint`.
    pub(crate) fn commit(&mut self, checkpoint: Checkpoint) {
        if checkpoint.outermost {
            self.changes = None;
        }
    }

    /// Returns the store to what it was at `checkpoint`.
    pub(crate) fn rollback(&mut self, checkpoint: Checkpoint) {
        let mut changes =
            if checkpoint.outermost { self.changes.take() } else { self.changes.as_mut().map(std::mem::take) }
                .unwrap_or_default();
        // Undone newest first, on `hooks` directly: the groups are rebuilt once at the end.
        for change in changes.drain(checkpoint.changes.min(changes.len())..).rev() {
            match change {
                Change::Pushed => {
                    self.hooks.pop();
                }
                Change::Replaced(at, old) => {
                    if let Some(slot) = self.hooks.get_mut(at) {
                        *slot = old;
                    }
                }
                Change::Removed(at, old) => self.hooks.insert(at.min(self.hooks.len()), old),
            }
        }
        if !checkpoint.outermost {
            self.changes = Some(changes);
        }
        self.reindex();
        self.snapshots.clear();
        self.generation = checkpoint.generation;
        self.next_seq = checkpoint.next_seq;
        self.disabled = checkpoint.disabled;
        self.static_stats = checkpoint.static_stats;
        self.arounds = checkpoint.arounds;
        self.history = checkpoint.history;
        self.cyclic = checkpoint.cyclic;
    }

    /// Enables or disables the attached hook `name`; `false` when there is none.
    pub(crate) fn set_attached_enabled(&mut self, root: TypeId, hook_type: TypeId, name: &str, on: bool) -> bool {
        self.snapshots.clear();
        let Some(at) = self.position(root, hook_type, name) else { return false };
        if self.hooks[at].enabled != on {
            let mut hook = (*self.hooks[at]).clone();
            hook.enabled = on;
            self.replace_hook(at, Arc::new(hook));
        }
        true
    }

    /// Enables or disables a static hook by method name.
    pub(crate) fn set_static_enabled(&mut self, root: TypeId, hook_type: TypeId, method: &'static str, on: bool) {
        self.disabled.retain(|(r, t, m)| !(*r == root && *t == hook_type && m == method));
        if !on {
            self.disabled.push((root, hook_type, Cow::Borrowed(method)));
        }
    }

    /// Removes the attached hook or around-hook `name`; `false` when there is none.
    pub(crate) fn remove(&mut self, root: TypeId, hook_type: TypeId, name: &str) -> bool {
        self.snapshots.clear();
        self.generation += 1;
        if let Some(at) = self.position(root, hook_type, name) {
            self.remove_hook_at(at);
            return true;
        }
        let before = self.arounds.len();
        self.arounds.retain(|a| !(a.root == root && a.hook_type == hook_type && a.name == name));
        self.arounds.len() != before
    }

    /// Adds an around-hook, or replaces the one of the same name in place.
    pub(crate) fn put_around(&mut self, around: AroundHook) {
        let same =
            |a: &Arc<AroundHook>| a.root == around.root && a.hook_type == around.hook_type && a.name == around.name;
        match self.arounds.iter().position(same) {
            Some(i) => self.arounds[i] = Arc::new(around),
            None => self.arounds.push(Arc::new(around)),
        }
    }

    /// The around-hooks of one hook type of `root`, outermost first.
    pub(crate) fn arounds(&self, root: TypeId, hook_type: TypeId) -> Vec<Arc<AroundHook>> {
        self.arounds.iter().filter(|a| a.root == root && a.hook_type == hook_type).cloned().collect()
    }

    /// The hooks of one hook type attached to `root`, by priority then attach order. Shared out so
    /// that a hook attached during a run does not join it, and so that the run can lend `&mut` to
    /// each hook.
    pub(crate) fn snapshot(&self, root: TypeId, hook_type: TypeId) -> Snapshot {
        let Some(group) = self.group(root, hook_type) else { return Snapshot::default() };
        let mut hooks: Vec<Arc<AttachedHook>> = group.by_name.values().map(|&at| self.hooks[at].clone()).collect();
        crate::order::attached_order(&mut hooks);
        Snapshot::new(hooks)
    }

    /// [`snapshot`](Self::snapshot), kept until the hooks change: a run of a type with attached
    /// hooks then costs one reference count, not one per hook.
    pub(crate) fn snapshot_cached(&mut self, root: TypeId, hook_type: TypeId) -> Snapshot {
        if let Some((_, snapshot)) = self.snapshots.iter().find(|(k, _)| *k == (root, hook_type)) {
            return snapshot.clone();
        }
        let snapshot = self.snapshot(root, hook_type);
        self.snapshots.push(((root, hook_type), snapshot.clone()));
        snapshot
    }

    pub(crate) fn of_root(&self, root: TypeId) -> impl Iterator<Item = &AttachedHook> {
        self.hooks.iter().filter(move |h| h.root == root).map(|h| &**h)
    }

    /// The static hooks of one type that `root` disabled (method names).
    pub(crate) fn disabled_static(&self, root: TypeId, hook_type: TypeId) -> Vec<Cow<'static, str>> {
        self.disabled.iter().filter(|(r, t, _)| *r == root && *t == hook_type).map(|(_, _, m)| m.clone()).collect()
    }

    /// Turns statistics of static hooks on (attached hooks always have theirs).
    pub(crate) fn enable_stats(&mut self) {
        self.static_stats.get_or_insert_with(Vec::new);
    }

    /// The statistics of a static hook, made on first use; `None` while stats are off.
    pub(crate) fn static_stats(&mut self, key: StaticKey) -> Option<Arc<HookStats>> {
        let all = self.static_stats.as_mut()?;
        if let Some((_, stats)) = all.iter().find(|(k, _)| *k == key) {
            return Some(stats.clone());
        }
        let stats = Arc::new(HookStats::default());
        all.push((key, stats.clone()));
        Some(stats)
    }

    /// The statistics of a static hook, if kept.
    pub(crate) fn peek_static_stats(&self, key: StaticKey) -> Option<&HookStats> {
        self.static_stats.as_ref()?.iter().find(|(k, _)| *k == key).map(|(_, s)| &**s)
    }

    /// Keeps `arg`, dropping the oldest beyond `keep`.
    pub(crate) fn remember(&mut self, key: (TypeId, TypeId), arg: crate::hook::Remembered, keep: usize) {
        let i = match self.history.iter().position(|(k, _)| *k == key) {
            Some(i) => i,
            None => {
                self.history.push((key, Default::default()));
                self.history.len() - 1
            }
        };
        let past = &mut self.history[i].1;
        if past.len() == keep {
            past.pop_front();
        }
        past.push_back(arg);
    }

    /// The past arguments kept for (component, hook type), oldest first.
    pub(crate) fn history(&self, key: (TypeId, TypeId)) -> Vec<crate::hook::Remembered> {
        self.history.iter().find(|(k, _)| *k == key).map(|(_, p)| p.iter().cloned().collect()).unwrap_or_default()
    }

    /// Whether stats of static hooks are on.
    pub(crate) fn stats_on(&self) -> bool {
        self.static_stats.is_some()
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
