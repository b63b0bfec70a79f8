//! Everything a component author uses: `use hooks_runtime::prelude::*;`.

pub use crate::{
    background_task, hook, hook_type, hooks, on_command, on_init, on_message, on_pull_message, on_request, on_start,
    on_state_change, on_stop, AttachedHooks, BackgroundTask, CommandHandler, Context, Control, Handle, HookError,
    HookInfo, HookSpec, HookType, Hooks, HooksMixin, LifecycleError, LifecycleState, Message, MessageBusClient,
    MultiError, OnCommand, OnInit, OnMessage, OnPullMessage, OnRequest, OnStart, OnStateChange, OnStop, PullClient,
    ReplyClient, RequestClient, RunSpec, Runtime, Service, StateChange, StopReason, TaskSpec,
};
