//! The rules the framework follows, in one place each: what `cargo doc` shows of them. Each
//! is applied by one private module (ordering: `order.rs`; named hooks: `attach.rs`; callbacks:
//! `callback.rs`; stages: `stage.rs`; trees: `tree.rs`), whose own docs point here.

/// The order hooks run in, in every run and every listing.
///
/// THE ordering rule (DESIGN.md "Order"), in one place:
///
/// 1. bases first, depth-first, in field order; then the type's own hooks;
/// 2. within a type, definition order;
/// 3. `priority = N` (default 0, lower first) moves a hook across levels; ties keep 1 and 2;
/// 4. hooks attached at run time come after static ones of equal priority, in attach order;
/// 5. a reversed run (`on_stop`, `run_hooks_reversed`) is the exact reverse;
/// 6. `before = "name"` / `after = "name"` constraints of run-time hooks move them just as far as
///    needed (a stable topological sort: otherwise rules 1 to 4 hold); contradicting constraints
///    are refused when the hook is attached, with the cycle named. A constraint naming a hook that
///    does not exist (yet) has no effect.
///
/// Rules 1 and 2 are the walk order (`seq`) of `Table::build`;
/// `order.rs` applies 3 to 6.
///
/// Cost of rule 6 (issue #11 item 9: attaching 2,000 constrained hooks took 10 s, each attach
/// sorting everything again by linear name scans): a run sorts once per change of the attached
/// hooks, in O((n + constraints) log n), and keeps the order in the snapshot; an attach checks for
/// a cycle by walking from the new hook only, over hooks indexed by name.
pub mod ordering {}

/// Hooks attached to one instance at run time, by name.
///
/// Hooks attached to one instance at run time, by name: `HookSpec` says how (priority, context
/// tags, enabled, error handler, params), `AttachedHooks` keeps them with their statistics.
///
/// Rules (issue "named hooks"):
/// - a name is unique per component and hook type: attaching an existing name replaces that hook
///   **in place** (it keeps its place among hooks of equal priority) and **takes the new priority**;
/// - a disabled hook stays listed and is reported as disabled, never run;
/// - a hook attached while a run is in progress does not join that run (runs take a snapshot).
pub mod named_hooks {}

/// Callback objects registered on a host, directly or by name from configuration.
///
/// Callback objects: a trait with default no-op methods for a family of events (a training loop's
/// `on_epoch_end`, `on_exception`, …), implemented by user structs and registered on the
/// component that emits the events (its *host*), directly or by name from a configuration.
///
/// A callback is not a second dispatcher: registering one attaches one named hook per event to the
/// host (the glue is `CallbackHost::attach_callback`, one line per event), so callbacks are
/// ordered, reported, timed, disabled and removed like every other hook, and the host runs them
/// with `run_hooks_report::<OnEpochEnd>(..)`.
///
/// Rules:
/// - Order: user callbacks (`add_callback`, `add_callbacks_from_config`) before built-in ones
///   (`add_builtin_callback`), each group in registration order; static hooks of the host with
///   priority 0 run before user callbacks.
/// - A callback's hooks are named after its id (its name unless the configuration gives an `id`):
///   a failure is reported as `Host::<id> (<Event>)`; adding an id again replaces that callback.
/// - A callback that returns `Control::Stop` ends the event's run (later callbacks are reported as
///   not reached) and the host sees it in the report (`RunReport::stopped`): an early stop.
/// - Callbacks share state through the host they are given (`&mut Host`).
/// - By name (the `config` feature): `#[callback(name = "early_stopping")]` on
///   `impl TrainerCallback for EarlyStopping` registers a constructor that builds the struct from
///   its settings with serde; a `CallbackConfig` (TOML or JSON) lists names with settings.
pub mod callbacks {}

/// BEFORE/AFTER/ERROR hooks around a method.
///
/// Stage hooks: three events around a method, `Before` (sees the arguments), `After` (sees the
/// return value and the arguments) and `OnError` (sees the error and the arguments).
///
/// A stage is declared once with [`stage!`](crate::stage), like a hook type, and any component
/// that provides it (`#[provides_hooks(Forward)]`, itself or through a base) marks one method with
/// `#[stage(Forward)]`. The three events are ordinary hook types: observers are attached with
/// `attach_hook::<Before<Forward>>(..)`, declared statically with `#[hook(After<Forward>)]`,
/// registered over a tree with `register_recursive`, and they are ordered, filtered, reported and
/// timed by the same run loop as every other hook.
///
/// Rules:
/// - Order: BEFORE observers, then the method, then AFTER observers (`Ok`) or ERROR observers (`Err`).
/// - Observers see copies of the arguments (`ToOwned`), and the value or error itself (moved in
///   and back out, never copied). The copies are made only when one of the three events has an
///   observer: with none, a stage costs the look-up of its three events in the type's table and in
///   the hook types the instance has attached hooks of (docs/performance.md, "Stages").
/// - A BEFORE observer vetoes the call by returning [`Control::Stop`](crate::Control): the method
///   does not run and returns `Err(E::from(Vetoed))`; later BEFORE observers are not called. An
///   infallible stage (declared without `Result`) cannot be vetoed: the stop is logged, later
///   BEFORE observers are not called, and the method runs. A vetoed call has no AFTER or ERROR
///   event (the method did not run).
/// - An observer's error or panic never changes the method's result: it is logged (`tracing`
///   `warn`, naming component, observer and event) and passed to the observer's `on_error`
///   handler; the other observers still run.
/// - Observers of a stage are plain functions; an `async` observer that does not finish at once is
///   dropped and reported as that observer's failure (as above: the other observers still run).
/// - A stage fires on the component whose impl defines the method: for a stage method defined in a
///   base (`#[hooks(base)]` field), observers are attached to the base (`self.node.attach_hook(..)`),
///   since the base's method cannot see the component that embeds it.
pub mod stages {}

/// Hooks registered over a tree of components.
///
/// Component trees: components that own child components, and hooks registered over a whole tree
/// with a `Selector` (`Tree::register_recursive`).
///
/// A component names its children with field attributes: `#[hooks(child)]` on a field holding one
/// component, `#[hooks(children)]` on a collection of them (`Vec<T>`, `Option<T>`, `[T; N]`,
/// `Children<T>`, and `Box<dyn Node>` as the element for mixed types). `#[hooks(name)]` on a
/// string field gives the instance its name in the tree (else its type's name). A node's path
/// (`TreePath`) is its ancestors' names and its own, joined with `/`: `pipeline/planner` (the
/// first name is the node the registration was made on).
///
/// Rules:
/// - A recursive registration attaches one named hook to every node of the tree (the node it is
///   called on included) that the selector picks **and** that provides the hook type; other nodes
///   are walked through but not touched. A selector by type whose type does not provide the hook
///   type is refused at once.
/// - The hooks attached are ordinary attached hooks (same name on every node): listed by
///   `hook_infos`, disabled, removed, ordered and reported like any other. Registering the same
///   name again replaces it on every node; `Tree::remove_recursive` removes it.
/// - **Children added later**: a `Children<T>` collection remembers the registrations made
///   through it, and `Children::push` / `Children::insert` attach them to the new child and its
///   own subtree. Children stored in other fields (`Vec`, `Option`, arrays, single children) are
///   walked at registration time only; after replacing such a child, register again (it is
///   idempotent: same name, replaced in place).
/// - `Landing`, returned by every registration, says where the hook landed and where not and why;
///   `Tree::hook_tree` lists every node's hooks.
/// - **Any depth:** every walk over a tree (registering, removing, listing, a late child's subtree)
///   keeps the nodes still to visit in a `Vec`, not on the call stack, so a chain 100,000 deep
///   works on a 2 MiB thread stack (tokio's worker default). A path shares its parent's
///   (`TreePath`), so landings, listings and the hooks attached take memory linear in the node
///   count, and a path's text is only made when it is formatted.
pub mod trees {}
