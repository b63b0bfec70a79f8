//! The runtime's base components, embedded with `#[hooks(base)]`. Each provides hook types to the
//! component that embeds it and keeps that component's run-time hooks.

use crate::prelude::*;

/// The lifecycle base: provides `OnInit`, `OnStart`, `OnStop`, `OnStateChange` and `BackgroundTask`.
///
/// ```
/// use hooks_runtime::prelude::*;
///
/// #[derive(Hooks, Default)]
/// struct Cache {
///     #[hooks(base)]
///     service: Service,
/// }
/// assert!(Cache::provides::<OnStart>());
/// assert!(!Cache::provides::<OnMessage>());
/// ```
#[derive(Hooks, Debug, Default)]
#[provides_hooks(OnInit, OnStart, OnStop, OnStateChange, BackgroundTask)]
pub struct Service {
    attached: AttachedHooks,
}

/// The publish/subscribe base: provides `OnMessage`.
#[derive(Hooks, Debug, Default)]
#[provides_hooks(OnMessage)]
pub struct MessageBusClient {
    attached: AttachedHooks,
}

/// The command base: provides `OnCommand`.
#[derive(Hooks, Debug, Default)]
#[provides_hooks(OnCommand)]
pub struct CommandHandler {
    attached: AttachedHooks,
}

/// The requesting side of request/reply: provides `OnRequest`.
#[derive(Hooks, Debug, Default)]
#[provides_hooks(OnRequest)]
pub struct RequestClient {
    attached: AttachedHooks,
}

/// The replying side of request/reply: provides `OnRequest`.
#[derive(Hooks, Debug, Default)]
#[provides_hooks(OnRequest)]
pub struct ReplyClient {
    attached: AttachedHooks,
}

/// The work-queue base: provides `OnPullMessage`.
#[derive(Hooks, Debug, Default)]
#[provides_hooks(OnPullMessage)]
pub struct PullClient {
    attached: AttachedHooks,
}
