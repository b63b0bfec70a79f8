//! Everything a component author uses: `use hooks_runtime::prelude::*;`.
//!
//! A glob import never overrides a name imported by name, so the prelude does not break code
//! that imports its own `Context`, `Message` or `Handle`; in that code the prelude's are simply
//! hidden. The common case is `anyhow::Context` (an extension trait): import it as
//! `use anyhow::Context as _;`, which brings `.context(..)` without taking the name, and hooks
//! can go on taking `ctx: &Context`. Otherwise name the runtime's as `hooks_runtime::Context`.
//! Everything else (bus events, reports, trees, callbacks, configuration) is at the crate root.
//!
//! `Message` is two items of one name, as `Hooks` is: the untyped message struct (a type) and the
//! derive that declares a message contract (a macro); the glob brings both, and each is used
//! where its namespace is (`#[derive(Message)]`, `msg: &Message`).
//!
//! ```
//! use hooks_runtime::prelude::*;
//! use std::fmt::Write as _; // an extension trait imported without its name, as anyhow's `Context` is
//!
//! #[derive(Hooks, Default)]
//! struct Named { #[hooks(base)] service: Service, out: String }
//!
//! #[hooks]
//! impl Named {
//!     #[on_start]
//!     fn start(&mut self, ctx: &Context) {
//!         let _ = write!(self.out, "{}", ctx.name());
//!     }
//! }
//! ```

pub use crate::{
    background_task, callback, hook, hook_type, hooks, on_command, on_init, on_message, on_pull_message, on_request,
    on_start, on_state_change, on_stop, stage, After, AttachedHooks, BackgroundTask, Before, CallbackHost, Callbacks,
    Children, CommandHandler, Context, Contract, Control, Handle, HookError, HookInfo, HookSpec, HookType, Hooks,
    HooksMixin, LifecycleError, LifecycleState, Message, MessageBusClient, MultiError, NodeRef, OnCommand, OnError,
    OnInit, OnMessage, OnPullMessage, OnRequest, OnStart, OnStateChange, OnStop, PullClient, ReplyClient,
    RequestClient, RunSpec, Runtime, Selector, Service, Stage, StateChange, StopReason, TaskSpec, Tree, Vetoed,
};
