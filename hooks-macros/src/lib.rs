//! The attributes and derive of the hooks framework. Use them through `hooks-runtime`
//! (`use hooks_runtime::prelude::*;`): the generated code names `::hooks_runtime::__private`.
//!
//! Each macro parses its input into this crate's model (`ast`, `attr`, `sig`), checks it
//! (`valid`), then expands it (`expand`); every mistake of an item is collected (`ctxt`) and
//! reported at once, and the user's item is always emitted (`fallback`).
//!
//! This crate uses syn 3, the version the proc macros hooks-runtime depends on build on
//! (thiserror-impl, tokio-macros, futures-macro; serde_derive with the `config` feature), so a
//! user's build compiles one syn. tracing is used without its `attributes` feature, whose
//! tracing-attributes is still on syn 2.

mod ast;
mod attr;
mod contract;
mod ctxt;
mod descriptor;
mod duration;
mod expand;
mod fallback;
mod kw;
mod sig;
mod valid;

#[cfg(test)]
mod size;

use proc_macro::TokenStream;

/// Makes a struct a hooks component: implements `Hooks` (and so `HooksMixin`: `run_hooks`,
/// `hooks`, `hook_infos`, `attach_hook`).
///
/// ```
/// use hooks_runtime::prelude::*;
///
/// #[derive(Hooks, Default)]
/// #[provides_hooks(OnInit)]            // the hook types this type offers, to itself and to types embedding it
/// struct Store {
///     attached: AttachedHooks,         // where run-time hooks are kept (runtime bases carry one)
///     loaded: bool,
/// }
///
/// #[derive(Hooks, Default)]
/// struct App {
///     #[hooks(base)]                   // an embedded component: its hooks run first
///     store: Store,
///     ready: bool,
/// }
///
/// #[hooks]
/// impl Store {
///     #[on_init]
///     fn load(&mut self) { self.loaded = true; }
/// }
///
/// #[hooks]
/// impl App {
///     #[on_init]
///     fn ready(&mut self) { assert!(self.store.loaded); self.ready = true; }
/// }
///
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let mut app = App::default();
/// app.run_hooks::<OnInit>().await.unwrap();
/// assert!(app.ready);
/// # });
/// ```
///
/// # Helper attributes
/// - `#[provides_hooks(A, B)]` on the struct: hook types this type and every type embedding it may
///   use. Using one that neither the type nor a base provides is a compile error.
/// - `#[hooks(base)]` on a field: an embedded component whose hooks run first (depth-first, field order).
/// - `#[hooks(attached)]` on a field of type `AttachedHooks` (implicit for a field of that type):
///   where `attach_hook` keeps run-time hooks; without one, the first base that has one is used.
/// - `#[hooks(crate = "path")]` on the struct: the path to `hooks_runtime` if it is renamed.
///
/// Generic structs are refused: registrations are static, one per concrete type.
#[proc_macro_derive(Hooks, attributes(provides_hooks, hooks))]
pub fn derive_hooks(input: TokenStream) -> TokenStream {
    let input = syn::parse_macro_input!(input as syn::DeriveInput);
    derive(&input).into()
}

fn derive(input: &syn::DeriveInput) -> proc_macro2::TokenStream {
    let cx = ctxt::Ctxt::new();
    let model = ast::Component::from_syn(&cx, input);
    let root = expand::paths::private_root(model.krate.as_ref());
    match cx.check() {
        Ok(()) => expand::derive::expand(&model, &root),
        Err(err) => fallback::derive(input, &root, err),
    }
}

/// Declares a message contract: the type's values are messages, routed by the type, with the
/// reply type a command or request of it gets. Implements `hooks_runtime::Contract`.
///
/// ```
/// use hooks_runtime::prelude::*;
///
/// #[derive(Message)]
/// #[message(reply = u32)]            // what a command or request of it answers (default `()`)
/// struct Count;
///
/// #[derive(Message)]
/// struct Status { busy: bool }       // published: no reply
///
/// #[derive(Hooks, Default)]
/// struct Monitor {
///     #[hooks(base)] service: Service,
///     #[hooks(base)] bus: MessageBusClient,
///     #[hooks(base)] commands: CommandHandler,
///     busy: u32,
/// }
///
/// #[hooks]
/// impl Monitor {
///     #[on_message]                                    // the contract is the argument's type
///     fn status(&mut self, status: &Status) { self.busy += u32::from(status.busy); }
///
///     #[on_command(Count)]                             // or named in the attribute
///     fn count(&mut self, _: &Count) -> u32 { self.busy }
/// }
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let runtime = Runtime::new();
/// let monitor = runtime.spawn(Monitor::default());
/// monitor.start().await?;
/// runtime.publish(Status { busy: true }).await;
/// let busy: u32 = monitor.command(Count).await?;   // typed: no downcast
/// assert_eq!(busy, 1);
/// # monitor.stop().await?; Ok(()) }
/// ```
///
/// # Options: `#[message(..)]`
/// - `reply = T`: the reply type (`Send + Sync + 'static`); default `()`.
/// - `name = "workers.status"`: the stable name (a key's `Debug` text, a transport's subject):
///   words without spaces, `*` or `>`, separated by single dots; default the type's name.
/// - `serde`: a [`RemoteContract`](../hooks_runtime/trait.RemoteContract.html) too (payload and reply
///   `Serialize + DeserializeOwned`), for a transport between processes; needs the `serde` feature.
/// - `crate = "path"`: the path to `hooks_runtime` if it is renamed.
///
/// The type is a struct (unit, with fields, tuple) or an enum, not generic (a contract routes by
/// its type: one key per type). On a struct with fields or an enum the type's name is also made a
/// value (a hidden constant), so that `#[on_message(Status)]` names the contract.
///
/// Equivalent code without the derive:
/// ```
/// # use hooks_runtime::prelude::*;
/// struct Count;
/// impl Contract for Count {
///     type Reply = u32;
///     const NAME: &'static str = "Count";
///     // `key()` keeps one key per type; the derive keeps it in a static of its own.
/// }
/// assert!(Count::key().is_type::<Count>());
/// ```
///
/// A handler whose types do not fit the contract is a compile error that names it:
/// ```compile_fail
/// use hooks_runtime::prelude::*;
///
/// #[derive(Message)]
/// #[message(reply = u32)]
/// struct Count;
///
/// #[derive(Hooks, Default)]
/// struct Counter { #[hooks(base)] service: Service, #[hooks(base)] commands: CommandHandler }
///
/// #[hooks]
/// impl Counter {
///     #[on_command]
///     fn count(&mut self, _: &Count) -> String { String::new() } // error: .. the message contract `Count` replies with `u32`
/// }
/// ```
#[proc_macro_derive(Message, attributes(message))]
pub fn derive_message(input: TokenStream) -> TokenStream {
    let input = syn::parse_macro_input!(input as syn::DeriveInput);
    message(&input).into()
}

fn message(input: &syn::DeriveInput) -> proc_macro2::TokenStream {
    let cx = ctxt::Ctxt::new();
    let model = contract::Contract::from_syn(&cx, input);
    let root = expand::paths::private_root(model.krate.as_ref());
    let expanded = expand::contract::expand(&model, &root);
    match cx.check() {
        Ok(()) => expanded,
        Err(err) => fallback::contract(expanded, err),
    }
}

/// Turns the hook attributes of an inherent impl's methods into static registrations.
///
/// ```
/// use hooks_runtime::prelude::*;
///
/// #[derive(Hooks, Default)]
/// #[provides_hooks(OnStart, OnStop)]
/// struct Worker { attached: AttachedHooks, log: Vec<&'static str> }
///
/// #[hooks]
/// impl Worker {
///     #[on_start]
///     async fn connect(&mut self) -> Result<(), std::io::Error> { self.log.push("connect"); Ok(()) }
///
///     #[on_stop]
///     fn disconnect(&mut self, _reason: &StopReason) { self.log.push("disconnect"); }
/// }
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let mut w = Worker::default();
/// w.run_hooks::<OnStart>().await.unwrap();
/// w.run_hooks_reversed::<OnStop>().await.unwrap();
/// assert_eq!(w.log, ["connect", "disconnect"]);
/// # });
/// ```
///
/// Method attributes: `#[on_init]`, `#[on_start]`, `#[on_stop]`, `#[on_state_change]`,
/// `#[on_message(..)]`, `#[on_command(..)]`, `#[on_request(..)]`, `#[on_pull_message(..)]`,
/// `#[background_task(..)]`, `#[hook(HookType, ..)]`. Each accepts `priority = N` (default 0,
/// lower first) and `timeout = "2s"` (async methods only).
///
/// A method takes `&self` or `&mut self`, then the hook type's argument if it wants it (`reason:
/// &StopReason`, `old, new` for state changes, `msg: &Message` or a payload `p: &P` for message
/// hooks), then optionally `ctx: &Context` (or `&mut Context`): the runtime context of the component.
///
/// The impl is emitted exactly as written, minus those attributes; shims go in a separate
/// `#[doc(hidden)] impl` (`__hooks_<kind>_<method>`) and registrations in `const _` blocks.
/// Generic impls and trait impls are refused.
///
/// Equivalent code without the attribute: none that a user should write; the registration is an
/// `inventory::submit!` of a `Registration` naming the shim.
///
/// A hook type the component does not provide is a compile error:
/// ```compile_fail
/// use hooks_runtime::prelude::*;
///
/// #[derive(Hooks)]
/// struct Plain;
///
/// #[hooks]
/// impl Plain {
///     #[on_init] // error: `Plain` does not provide the hook type `OnInit` ..
///     fn init(&mut self) {}
/// }
/// ```
#[proc_macro_attribute]
pub fn hooks(args: TokenStream, item: TokenStream) -> TokenStream {
    hooks_impl(args.into(), item.into()).into()
}

fn hooks_impl(args: proc_macro2::TokenStream, item: proc_macro2::TokenStream) -> proc_macro2::TokenStream {
    let mut item: syn::ItemImpl = match syn::parse2(item.clone()) {
        Ok(item) => item,
        Err(_) => return fallback::not_an_impl(item),
    };
    let cx = ctxt::Ctxt::new();
    let krate = parse_crate_arg(&cx, args);
    valid::check_impl(&cx, &item);
    let model = ast::HooksImpl::from_syn(&cx, &mut item);
    valid::check_methods(&cx, &model);
    valid::check_stages(&cx, &model);
    match cx.check() {
        Ok(()) => expand::hooks::expand(item, &model, &expand::paths::private_root(krate.as_ref())),
        Err(err) => fallback::hooks(&item, err),
    }
}

/// `#[hooks]` or `#[hooks(crate = "path")]`.
fn parse_crate_arg(cx: &ctxt::Ctxt, args: proc_macro2::TokenStream) -> Option<syn::Path> {
    let mut krate = None;
    let parser = syn::meta::parser(|meta| {
        if meta.path.is_ident(kw::CRATE) {
            let lit: syn::LitStr = meta.value()?.parse()?;
            krate = Some(lit.parse()?);
            Ok(())
        } else {
            Err(meta.error("unknown `#[hooks]` argument; expected nothing or `crate = \"..\"`"))
        }
    });
    if let Err(err) = syn::parse::Parser::parse2(parser, args) {
        cx.syn_error(err);
    }
    krate
}

/// Registers a callback struct by name, so that a configuration can build it:
/// `#[callback(name = "early_stopping")]` on `impl TrainerCallback for EarlyStopping { .. }`.
///
/// Needs the `config` feature of hooks-runtime; without it this attribute is a compile error that
/// names the feature. (A callback registered directly with `Callbacks::add_callback` needs
/// neither the attribute nor the feature.)
///
/// The struct implements `serde::Deserialize`: its settings in the configuration deserialize
/// into it. The family is the trait implemented (`dyn TrainerCallback`); a host whose
/// `CallbackHost::Callback` is that family builds it with `add_callbacks_from_config`.
/// Options: `name = ".."` (required), `crate = ".."`.
///
/// ```ignore
/// #[derive(serde::Deserialize)]
/// struct EarlyStopping { patience: u32 }
///
/// #[callback(name = "early_stopping")]
/// impl TrainerCallback for EarlyStopping { /* overridden event methods */ }
/// ```
#[proc_macro_attribute]
pub fn callback(args: TokenStream, item: TokenStream) -> TokenStream {
    callback_impl(args.into(), item.into()).into()
}

fn callback_impl(args: proc_macro2::TokenStream, item: proc_macro2::TokenStream) -> proc_macro2::TokenStream {
    let item: syn::ItemImpl = match syn::parse2(item.clone()) {
        Ok(item) => item,
        Err(_) => return fallback::not_a_callback_impl(item),
    };
    let cx = ctxt::Ctxt::new();
    let model = ast::CallbackImpl::from_syn(&cx, args, &item);
    valid::check_callback(&cx, &item);
    match (cx.check(), model) {
        (Ok(()), Some(model)) => expand::callback::expand(&item, &model),
        // `from_syn` records an error whenever it gives no model.
        (result, _) => fallback::callback(&item, result.expect_err("no model without an error")),
    }
}

macro_rules! method_attributes {
    ($($(#[$doc:meta])* $name:ident;)*) => {$(
        $(#[$doc])*
        ///
        /// Only meaningful on a method of an impl marked `#[hooks]`, which removes it; anywhere else
        /// it is a compile error that says so.
        #[proc_macro_attribute]
        pub fn $name(_args: TokenStream, item: TokenStream) -> TokenStream {
            fallback::misplaced(stringify!($name), item.into()).into()
        }
    )*};
}

method_attributes! {
    /// Runs the method during `initialize()`: hook type `OnInit` (provided by `Service`),
    /// base first, in definition order, **fail-fast** (the first failure ends the run, the
    /// component is `Failed` and rolled back).
    ///
    /// Signatures: `fn name(&mut self)` or `async fn`, also `&self`; may end with `ctx: &Context`;
    /// returns `()` or `Result<(), E>` (`E: std::error::Error + Send + Sync + 'static`, or `String`).
    /// Keys: `priority = N` (default 0, lower first), `timeout = "2s"` (async only; default none).
    ///
    /// ```
    /// use hooks_runtime::prelude::*;
    ///
    /// #[derive(Hooks, Default)]
    /// struct Db { #[hooks(base)] service: Service, open: bool }
    ///
    /// #[hooks]
    /// impl Db {
    ///     #[on_init(priority = -1, timeout = "5s")]
    ///     async fn connect(&mut self) -> Result<(), std::io::Error> { self.open = true; Ok(()) }
    /// }
    /// ```
    on_init;
    /// Runs the method during `start()`, after `on_init`: hook type `OnStart` (provided by
    /// `Service`), **fail-fast**; `start()` returns once every `on_start` hook returned and the
    /// background tasks are scheduled. Signatures and keys as for [`on_init`](macro@on_init).
    on_start;
    /// Runs the method during `stop()`, in the **exact reverse** of the order the other hooks
    /// run (hook type `OnStop`, provided by `Service`), collect-all (every stop hook runs; every
    /// failure is returned).
    ///
    /// Signatures: `fn name(&mut self)`, or `fn name(&mut self, reason: &StopReason)` (why:
    /// `Requested`, `Failed(cause)` for a rollback, `TimedOut` when a stop budget ran out,
    /// `Parent` when every handle was dropped); async or not; `()` or `Result<(), E>`.
    /// Keys: `priority`, `timeout`.
    ///
    /// ```
    /// use hooks_runtime::prelude::*;
    ///
    /// #[derive(Hooks, Default)]
    /// struct Writer { #[hooks(base)] service: Service, flushed: bool }
    ///
    /// #[hooks]
    /// impl Writer {
    ///     #[on_stop]
    ///     fn flush(&mut self, reason: &StopReason) {
    ///         self.flushed = !matches!(reason, StopReason::Failed(_));
    ///     }
    /// }
    /// ```
    on_stop;
    /// Runs the method on every lifecycle transition, with the state left and the state entered
    /// (hook type `OnStateChange`, provided by `Service`). On the start path a failure fails the
    /// start; on the stop path it is collected into `stop()`'s error.
    ///
    /// Signatures: `fn name(&mut self, old: LifecycleState, new: LifecycleState)` (the two states
    /// by value), or `fn name(&mut self)`; async or not. Keys: `priority`, `timeout`.
    ///
    /// ```
    /// use hooks_runtime::prelude::*;
    ///
    /// #[derive(Hooks, Default)]
    /// struct Audited { #[hooks(base)] service: Service, log: Vec<String> }
    ///
    /// #[hooks]
    /// impl Audited {
    ///     #[on_state_change]
    ///     fn changed(&mut self, old: LifecycleState, new: LifecycleState) {
    ///         self.log.push(format!("{old:?} -> {new:?}"));
    ///     }
    /// }
    /// ```
    on_state_change;
    /// Handles published messages of the listed types (hook type `OnMessage`, provided by
    /// `MessageBusClient`): `Runtime::publish`, `Context::publish`, `Handle::publish` and
    /// `Context::tell` deliver them; several handlers of one type run in hook order.
    ///
    /// Message types: message contracts (`#[derive(Message)]`, routed by their type) or dynamic
    /// types (any `Debug + Send + Sync` value, routed by its `Debug` text: enum variants, topic
    /// strings), named in any of these ways:
    /// - none: the contract is the handler's argument type, `fn status(&mut self, s: &Status)`;
    /// - values `#[on_message(Status, Kind::A, "topic")]`: a contract's name (a unit struct's value,
    ///   a struct's or enum's name, a tuple struct's constructor) or a dynamic value;
    /// - a closure over the instance `|this: &Self| vec![..]` (any iterable, read when the
    ///   component starts), or `params = Self::method`.
    ///
    /// Signatures: `fn name(&mut self, msg: &Message)` or the payload itself
    /// `fn name(&mut self, payload: &P)`: for a contract `P` is the contract (anything else does
    /// not compile); for a dynamic type a message whose payload is not a `P` is that handler's
    /// error. May end with `ctx: &Context`; async or not; `()` or `Result<(), E>`.
    /// Keys: `priority`, `timeout`.
    ///
    /// ```
    /// use hooks_runtime::prelude::*;
    ///
    /// #[derive(Debug)]
    /// enum Kind { Status, Debug }
    ///
    /// #[derive(Hooks, Default)]
    /// struct Tracker { #[hooks(base)] service: Service, #[hooks(base)] bus: MessageBusClient, verbose: bool, busy: u32 }
    ///
    /// #[hooks]
    /// impl Tracker {
    ///     #[on_message(Kind::Status)]
    ///     fn status(&mut self, busy: &u32) { self.busy = *busy; }
    ///
    ///     #[on_message(|this: &Self| if this.verbose { vec![Kind::Debug] } else { vec![] })]
    ///     fn debug(&mut self, msg: &Message) { let _ = msg.key(); }
    /// }
    /// ```
    on_message;
    /// Handles commands of the listed types (hook type `OnCommand`, provided by
    /// `CommandHandler`): `Handle::command(msg).await` gets what the handler returns.
    ///
    /// Types as for [`on_message`](macro@on_message). Signatures: `fn name(&mut self, msg: &Message)`
    /// or `&Payload`, async or not, returning
    /// - for a contract, its reply `R` or `Result<R, E>` (checked at compile time; the error comes
    ///   back as `CallError::Failed`); the caller gets an `R`;
    /// - for a dynamic type, `Result<T, E>` (the `Ok` value is the response, any `Send + Sync +
    ///   'static` type) or `()` (no value: a later handler's value, else `()`, is the response);
    ///   the caller gets a `Response` to downcast.
    ///
    /// Keys: `priority`, `timeout`.
    ///
    /// ```
    /// use hooks_runtime::prelude::*;
    ///
    /// #[derive(Message)]
    /// #[message(reply = u32)]
    /// struct Count;
    ///
    /// #[derive(Debug)]
    /// enum Kind { Total }
    ///
    /// #[derive(Hooks, Default)]
    /// struct Counter { #[hooks(base)] service: Service, #[hooks(base)] commands: CommandHandler, n: u32 }
    ///
    /// #[hooks]
    /// impl Counter {
    ///     #[on_command]
    ///     fn count(&mut self, _: &Count) -> u32 { self.n }
    ///
    ///     #[on_command(Kind::Total)]
    ///     fn total(&mut self, _msg: &Message) -> Result<u64, std::convert::Infallible> { Ok(u64::from(self.n)) }
    /// }
    /// ```
    on_command;
    /// Handles requests of the listed types (hook type `OnRequest`, provided by `RequestClient`
    /// and `ReplyClient`): `Handle::request` / `request_with_timeout` get the reply. Everything
    /// else as for [`on_command`](macro@on_command).
    on_request;
    /// Handles work-queue messages of the listed types (hook type `OnPullMessage`, provided by
    /// `PullClient`): `Runtime::push` puts work on the queue of its type and each message goes to
    /// **exactly one** running puller; a push with no running puller is refused. One handler per
    /// pulled type in a component (a second one fails the start). A handler that fails keeps its
    /// message as a dead letter (`Runtime::dead_letters`). Types and signatures as for
    /// [`on_message`](macro@on_message).
    on_pull_message;
    /// A task run while the component is `Running` (hook type `BackgroundTask`, provided by
    /// `Service`), on the component's own task, between its other hooks, with `&mut self`.
    ///
    /// Keys:
    /// - `interval` (default: none, the task runs once): a string in any form `humantime`
    ///   accepts (`"250ms"`, `"1.5s"`, `"5 seconds"`, `"1h 30m"`), a number of seconds (`5`,
    ///   `0.25`), or a closure over the instance `|this: &Self| -> Duration` (or
    ///   `-> Option<Duration>`, `None` ends the task), computed again after each run;
    /// - `immediate` (default `true`): first run as soon as the component runs, else after one
    ///   interval;
    /// - `stop_on_error` (default `false`): an error (or panic) ends the task; otherwise it is
    ///   logged and the task goes on;
    /// - `priority`, `timeout`.
    ///
    /// The next run is scheduled one interval after the previous one **ends**: a task never
    /// overlaps itself and never bursts. Signatures: `fn name(&mut self)` or async, may end with
    /// `ctx: &Context`; `()` or `Result<(), E>`.
    ///
    /// A tick runs on the component's task: while it awaits, the component handles nothing else
    /// (a tick awaiting a 1 s request delays every message and command by up to 1 s). For long
    /// I/O, start it with `Context::spawn` and hand the result back with `Context::tell`, as a
    /// message the component handles later with `&mut self`:
    ///
    /// ```
    /// use hooks_runtime::prelude::*;
    ///
    /// #[derive(Debug)]
    /// enum Kind { Fetched }
    ///
    /// #[derive(Hooks, Default)]
    /// struct Poller { #[hooks(base)] service: Service, #[hooks(base)] bus: MessageBusClient, latest: String }
    ///
    /// #[hooks]
    /// impl Poller {
    ///     #[background_task(interval = "30s", immediate = true, stop_on_error = false)]
    ///     fn refresh(&mut self, ctx: &Context) {
    ///         let me = ctx.clone();
    ///         ctx.spawn(async move {
    ///             let body = String::from("..."); // slow I/O here, off the component's task
    ///             let _ = me.tell(Message::new(Kind::Fetched, body)).await;
    ///         });
    ///     }
    ///
    ///     #[on_message(Kind::Fetched)]
    ///     fn fetched(&mut self, body: &String) { self.latest = body.clone(); }
    /// }
    /// ```
    background_task;
    /// A hook of a custom type declared with `hook_type!` (`hook_type!(pub OnWorkerUpdate(WorkerStats))`),
    /// run by `run_hooks_with::<OnWorkerUpdate>(&stats)`: `#[hook(OnWorkerUpdate)]`, optionally
    /// followed by params (as for [`on_message`](macro@on_message)) and the keys `priority`,
    /// `timeout`. The type must provide the hook type (`#[provides_hooks(OnWorkerUpdate)]`, itself or
    /// through a base). Signatures: `fn name(&mut self, arg: &Arg)` (or no argument for a hook type
    /// without one), async or not, `()` or `Result<(), E>`.
    ///
    /// ```
    /// use hooks_runtime::prelude::*;
    ///
    /// pub struct WorkerStats { pub busy: u32 }
    /// hook_type!(pub OnWorkerUpdate(WorkerStats));
    ///
    /// #[derive(Hooks, Default)]
    /// #[provides_hooks(OnWorkerUpdate)]
    /// struct Manager { attached: AttachedHooks, busy: u32 }
    ///
    /// #[hooks]
    /// impl Manager {
    ///     #[hook(OnWorkerUpdate, priority = 1)]
    ///     fn on_update(&mut self, stats: &WorkerStats) { self.busy = stats.busy; }
    /// }
    /// ```
    hook;
}
