//! Everything a component author uses: `use hooks_runtime::prelude::*;`.

pub use crate::{
    background_task, callback, hook, hook_type, hooks, on_command, on_init, on_message, on_pull_message, on_request,
    on_start, on_state_change, on_stop, stage, After, AttachedHooks, BackgroundTask, Before, CallbackHost, Callbacks,
    Children, CommandHandler, Context, Control, Handle, HookError, HookInfo, HookSpec, HookType, Hooks, HooksMixin,
    LifecycleError, LifecycleState, Message, MessageBusClient, MultiError, NodeRef, OnCommand, OnError, OnInit,
    OnMessage, OnPullMessage, OnRequest, OnStart, OnStateChange, OnStop, PullClient, ReplyClient, RequestClient,
    RunSpec, Runtime, Selector, Service, Stage, StateChange, StopReason, TaskSpec, Tree, Vetoed,
};
