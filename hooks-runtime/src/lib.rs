//! Declare a service's lifecycle, message handlers and periodic work as attributes on its methods;
//! hooks run in a well-defined order: bases first, in definition order, exactly reversed on stop.
//!
//! ```
//! use std::time::Duration;
//! use hooks_runtime::prelude::*;
//!
//! #[derive(Message)]
//! struct Job { size: u32 }                      // a message contract: routed by its type
//!
//! #[derive(Message)]
//! #[message(reply = u32)]                       // a command, and the type of its reply
//! struct Count;
//!
//! #[derive(Hooks, Default)]
//! struct Worker {
//!     #[hooks(base)] service: Service,          // on_init/on_start/on_stop, background tasks
//!     #[hooks(base)] bus: MessageBusClient,     // on_message
//!     #[hooks(base)] commands: CommandHandler,  // on_command
//!     done: u32,
//! }
//!
//! #[hooks]
//! impl Worker {
//!     #[on_start]
//!     async fn warm_up(&mut self) -> Result<(), std::io::Error> { Ok(()) }
//!
//!     #[on_message]
//!     fn job(&mut self, job: &Job) { self.done += job.size; }
//!
//!     #[on_command]
//!     fn count(&mut self, _: &Count) -> u32 { self.done }   // checked against `Count`'s reply
//!
//!     #[on_message("audit")]                     // a dynamic topic: an untyped `Message`
//!     fn audit(&mut self, _msg: &Message) {}
//!
//!     #[background_task(interval = "5s")]
//!     fn report(&mut self) { /* runs every 5 s while running */ }
//!
//!     #[on_stop]
//!     fn flush(&mut self) { /* runs in the reverse order */ }
//! }
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let runtime = Runtime::new();
//! let worker = runtime.spawn(Worker::default());     // Created: nothing has run yet
//! worker.start().await?;                             // on_init, on_start; returns once Running
//! runtime.publish(Job { size: 3 }).await;            // to every subscriber of `Job`
//! worker.publish(Job { size: 4 }).await?;            // to this one
//! let count: u32 = worker.command(Count).await?;     // the reply's type is the contract's
//! assert_eq!(count, 7);
//! runtime.publish(Message::signal("audit")).await;   // untyped, routed by its `Debug` text
//! let worker: Worker = worker.stop_with_timeout(Duration::from_secs(5)).await?;  // handed back
//! assert_eq!(worker.done, 7);
//! # Ok(()) }
//! ```
//!
//! - `#[derive(Hooks)]` with `#[provides_hooks(..)]` and `#[hooks(base)]` fields; `#[hooks]` on the
//!   impl turns `#[on_init]`, `#[on_start]`, `#[on_stop]`, `#[on_state_change]`, `#[on_message]`,
//!   `#[on_command]`, `#[on_request]`, `#[on_pull_message]`, `#[background_task]` and
//!   `#[hook(Custom)]` into static registrations collected with `inventory`.
//! - Using a hook type that neither the type nor a base provides is a compile error naming the fix.
//! - Messages: message contracts (`#[derive(Message)]`, [`Contract`]) route by their type and are
//!   checked at compile time at the handler (payload, reply) and at the call site
//!   (`handle.command(Count).await` is a `Result<u32, CallError>`); an untyped [`Message`](struct@Message) carries
//!   dynamic kinds (topics from configuration). [`Runtime::lookup`] and [`Context::lookup`] find a
//!   component by name. The guide is `docs/messaging.md`.
//! - Startup hooks (`OnInit`, `OnStart`) are fail-fast; every other hook type runs all hooks and
//!   returns every failure in one [`MultiError`]; panics are caught as [`HookError::Panicked`].
//! - Hooks can also be run by hand on any component (`run_hooks::<OnInit>()`,
//!   `run_hooks_with::<H>(&arg)`, `run_hooks_reversed`), attached at run time (`attach_hook`),
//!   listed (`hooks::<H>()`, `hook_infos()`, `describe()`); a service ends with
//!   `runtime.shutdown_on_signal(budget)`. The guide is in the repository's `docs/`.
//! - Testing: [`testing::Recorder`] records what hooks and the bus did, in order, with order
//!   assertions; [`testing::advance`] moves a paused clock through background ticks.
//! - Runtime bases: [`Service`] (lifecycle and background tasks), [`MessageBusClient`],
//!   [`CommandHandler`], [`RequestClient`], [`ReplyClient`], [`PullClient`].
//! - Features: `config` (off by default) builds callbacks by name from a TOML or JSON
//!   configuration: `CallbackConfig`, `Callbacks::add_callbacks_from_config`, `build_callback`,
//!   `callback_names`, `ConfigError` and `#[callback(name = "..")]` (a compile error that names
//!   the feature without it). It adds serde, serde_json and toml to the build;
//!   [`Callbacks::add_callback`] and [`Callbacks::add_builtin_callback`] need nothing.
//! - Feature `serde` (off by default): `#[message(serde)]` makes a contract a
//!   `RemoteContract` (payload and reply `Serialize + DeserializeOwned`, its name a subject) for a
//!   transport between processes; `remote_contracts()` lists them. It adds serde to the build.
//! - Feature `nats` (off by default, turns on `serde`): `NatsTransport`, the bus across
//!   processes over a NATS server (`Runtime::with_transport`): `#[message(serde)]` contracts are
//!   published, pushed (queue groups, or JetStream for durable work) and called (request/reply)
//!   between processes, JSON on the wire; see `docs/distributed.md`. It adds async-nats and
//!   serde_json to the build.
//! - Feature `timeline` (off by default): [`Timeline`] records hook runs, transitions and messages
//!   per component from the runtime's `tracing` spans and message events, and writes an SVG
//!   picture and a Chrome/Perfetto trace. It adds tracing-subscriber and serde_json to the build.
#![forbid(unsafe_code)]
#![doc(test(attr(deny(warnings))))]

// Lets this crate derive its own bases: generated code names `::hooks_runtime::__private`.
extern crate self as hooks_runtime;

mod base;
pub mod bus;
mod context;
mod error;
pub mod features;
mod lifecycle;
#[cfg(feature = "nats")]
mod nats;
pub mod prelude;
mod runtime;
mod task;
pub mod testing;
#[cfg(feature = "timeline")]
pub mod timeline;

pub use base::{CommandHandler, MessageBusClient, PullClient, ReplyClient, RequestClient, Service};
#[cfg(feature = "serde")]
pub use bus::{remote_contracts, RemoteContract, RemoteContractInfo};
pub use bus::{
    Call, CallError, Contract, ContractOf, IntoMessage, IntoResponse, Message, MessageEvent, OnCommand, OnMessage,
    OnPullMessage, OnRequest, Rejection, Response, SendError, TransportError,
};
pub use context::Context;
pub use error::{LifecycleError, Recovered};
pub use hooks_core::rules;
#[cfg(feature = "config")]
pub use hooks_core::{build_callback, callback_names, CallbackConfig, CallbackEntry, ConfigError};
pub use hooks_core::{
    hook_type, registrations, stage, After, AttachStorage, AttachedHooks, BackgroundTask, Before, BoxError,
    CallbackHost, CallbackResult, Callbacks, ChildNodes, Children, Control, ErrorHandler, ErrorPolicy, Event, Fold,
    HookError, HookInfo, HookRegistry, HookRun, HookSpec, HookStats, HookType, HookValue, Hooks, HooksMixin,
    IntoHookResult, IntoInterval, IntoParams, Key, KeyValue, Landed, Landing, LifecycleState, Location, MultiError,
    Node, NodeHooks, NodeRef, OnError, OnEvent, OnInit, OnStart, OnStateChange, OnStop, Outcome, Param, ParamValue,
    Placement, Provided, Raised, Returned, RunOptions, RunReport, RunSpec, Selector, SharedCallback, Stage,
    StateChange, StopReason, TaskSpec, Tree, TreePath, Vetoed, Wrapped, BUILTIN_CALLBACK_PRIORITY,
    USER_CALLBACK_PRIORITY,
};
pub use hooks_macros::{
    background_task, callback, hook, hooks, on_command, on_init, on_message, on_pull_message, on_request, on_start,
    on_state_change, on_stop, Hooks, Message,
};
#[cfg(feature = "nats")]
pub use nats::{Codec, NatsTransport, Route};
pub use runtime::{Handle, Runtime};
#[cfg(feature = "timeline")]
pub use timeline::Timeline;

/// What the macros' generated code names. Not a public API: it changes without notice.
#[doc(hidden)]
pub mod __private {
    pub use crate::__remote_contract as remote_contract;
    pub use crate::bus::route::{
        answers, names_contract, respond_as, route_of, takes, Answers, ArgProbe, Bare, Carries, Dynamic, NamesContract,
        NoReply, NotAContract, Probe, ProbeOf, Route, Typed, Untyped, ViaArgument, ViaConstructor1, ViaConstructor2,
        ViaConstructor3, ViaConstructor4, ViaContract, ViaDynamic, Wrapped,
    };
    pub use crate::bus::{
        Call, Contract, ContractOf, IntoResponse, Message, OnCommand, OnMessage, OnPullMessage, OnRequest,
    };
    pub use crate::context::{no_context, Context};
    #[cfg(feature = "config")]
    pub use hooks_core::__private::{build_from_settings, CallbackFactory, Settings};
    pub use hooks_core::__private::{
        callback_registration, inventory, reg, shim_args, shim_this, stage, storage, ChildVisitor, Owner, ProvidedKey,
        Registration, Registrations, Shim, Table, Walker,
    };
    pub use hooks_core::Key;
    pub use hooks_core::{
        AttachedHooks, BackgroundTask, ChildNodes, HookType, Hooks, IntoHookResult, IntoInterval, Location, Node,
        OnInit, OnStart, OnStateChange, OnStop, ParamValue, Provided, Stage, Step, TaskSpec,
    };
    pub use std::any::{Any, TypeId};
    pub use std::boxed::Box;
    pub use std::option::Option::{None, Some};
    pub use std::result::Result::{Err, Ok};
    pub use std::{column, line};
    /// What a params resolver returns.
    pub type Params = Vec<ParamValue>;
    pub use std::sync::OnceLock;
    pub use std::time::Duration;
    pub use std::vec;
    pub use std::vec::Vec;
}
