//! The core of the hooks framework: hook types, registrations, ordering, errors and `run_hooks`.
//!
//! Users depend on `hooks-runtime`, which re-exports everything here together with the macros;
//! this crate has no tokio in its public API (it uses tokio's timer privately, for hook timeouts).
//!
//! - [`HookType`] and the built-in markers ([`OnInit`], [`OnStart`], [`OnStop`],
//!   [`OnStateChange`], [`BackgroundTask`]); custom ones with [`hook_type!`].
//! - [`Hooks`], implemented by `#[derive(Hooks)]`, and [`HooksMixin`]: `run_hooks`,
//!   `run_hooks_reversed`, `hooks`, `hook_infos`, `attach_hook` on every component.
//! - [`HookError`] and [`MultiError`].
//! - Callback objects: [`CallbackHost`], [`Callbacks`]. Building them by name from a TOML or JSON
//!   configuration (`CallbackConfig`, `build_callback`) needs the `config` feature, the only user
//!   of serde, serde_json and toml.
//! - The ordering rule lives in one module (`order`), the registration scheme in another
//!   (`registry`: what `inventory` collects, and the per-type table cached on first use).
#![forbid(unsafe_code)]

mod attach;
mod callback;
mod component;
mod error;
mod hook;
mod info;
mod order;
mod params;
mod registry;
mod report;
pub mod rules;
mod run;
mod running;
mod shim;
mod stage;
mod standalone;
mod state;
mod tree;

pub use attach::{AttachedHooks, ErrorHandler, HookSpec, HookStats, Wrapped};
#[cfg(feature = "config")]
pub use callback::{build_callback, callback_names, CallbackConfig, CallbackEntry, ConfigError};
pub use callback::{
    CallbackHost, CallbackResult, Callbacks, SharedCallback, BUILTIN_CALLBACK_PRIORITY, USER_CALLBACK_PRIORITY,
};
pub use component::{AttachStorage, HookFn, Hooks, HooksMixin};
pub use error::{BoxError, Excerpt, HookError, MultiError, SharedError};
pub use hook::{
    BackgroundTask, ErrorPolicy, HookType, OnInit, OnStart, OnStateChange, OnStop, ParamKind, Remembered, StateChange,
    TaskSpec,
};
pub use info::HookInfo;
pub use params::{IntoInterval, IntoParams, Key, KeyValue, Param, ParamValue};
pub use registry::{registrations, registrations_of, Location, Provided};
pub use report::{Fold, HookRun, Outcome, RunReport, RunSpec};
pub use run::RunOptions;
pub use shim::{Control, HookFuture, HookResult, HookValue, IntoHookResult, Step};
pub use stage::{After, Before, OnError, Raised, Returned, Stage, Vetoed};
pub use standalone::{Event, HookRegistry, OnEvent};
pub use state::{LifecycleState, StopReason};
pub use tree::{ChildNodes, Children, Landed, Landing, Node, NodeHooks, NodeRef, Placement, Selector, Tree, TreePath};

/// What generated code names. Not a public API.
#[doc(hidden)]
pub mod __private {
    pub use crate::__callback_registration as callback_registration;
    #[cfg(feature = "config")]
    pub use crate::callback::{build_from_settings, CallbackFactory};
    pub use crate::component::storage;
    pub use crate::error::panic_message;
    /// A callback's settings, as a configuration gives them.
    #[cfg(feature = "config")]
    pub type Settings = serde_json::Value;
    pub use crate::registry::{reg, Owner, ParamsFn, Registration, Registrations, Table, Walker};
    pub use crate::running::{task_scope, with_task_state, Running, RunningHook, TaskScope};
    pub use crate::shim::{shim_args, shim_this, Shim};
    pub use crate::tree::ChildVisitor;
    pub use inventory;

    /// The stage runner of `#[stage(..)]` methods.
    pub mod stage {
        pub use crate::stage::{after, args, before, watch, Matches, Watch};
    }

    /// What `#[provides_hooks(..)]` accepts: a hook type, or a stage (which provides its three
    /// events).
    #[diagnostic::on_unimplemented(
        message = "`{Self}` is not a hook type or a stage",
        label = "not declared with `hook_type!` or `stage!`",
        note = "`#[provides_hooks(..)]` lists hook types (declared with `hook_type!`) and stages (declared with `stage!`)"
    )]
    pub trait ProvidedKey {
        /// The key `Provided` keeps.
        const KEY: &'static str;
    }

    impl<H: crate::HookType> ProvidedKey for H {
        const KEY: &'static str = H::KEY;
    }
}

/// A hand-written component for this crate's doc examples and tests (which cannot use the derive).
#[doc(hidden)]
#[macro_export]
macro_rules! __doc_component {
    ($name:ident $(, $provided:ty)* $(,)?) => {
        #[derive(Default)]
        struct $name {
            total: u32,
            attached: $crate::AttachedHooks,
        }

        impl $crate::Hooks for $name {
            const NAME: &'static str = ::core::stringify!($name);
            const PROVIDED: $crate::Provided =
                $crate::Provided { own: &[$(<$provided as $crate::HookType>::KEY),*], bases: &[] };
            type Storage = $crate::__private::storage::Kept;
            fn __hooks_table() -> &'static $crate::__private::Table {
                static TABLE: ::std::sync::OnceLock<$crate::__private::Table> = ::std::sync::OnceLock::new();
                $crate::__private::Table::cached(&TABLE, $crate::__private::Table::build::<Self>)
            }
            fn __hooks_bases(_: &mut $crate::__private::Walker<'_, Self>) {}
            fn __hooks_attached(&self) -> ::core::option::Option<&$crate::AttachedHooks> {
                ::core::option::Option::Some(&self.attached)
            }
            fn __hooks_attached_mut(&mut self) -> ::core::option::Option<&mut $crate::AttachedHooks> {
                ::core::option::Option::Some(&mut self.attached)
            }
        }
    };
}
