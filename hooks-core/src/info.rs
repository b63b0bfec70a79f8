//! What listings say of each hook ([`HookInfo`]): built from a static hook's registration (and
//! the instance's store: enabled, statistics) or from an attached hook.

use std::any::{Any, TypeId};
use std::borrow::Cow;
use std::time::Duration;

use crate::attach::AttachedHook;
use crate::component::Hooks;
use crate::params::ParamValue;
use crate::registry::Location;

/// One hook of a component, as listed by [`HooksMixin::hooks`] and [`HooksMixin::hook_infos`].
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct HookInfo {
    /// The type that defines the hook (a base's name for a base's hook).
    pub owner: &'static str,
    /// The method, or the name given to `attach_hook`.
    pub method: Cow<'static, str>,
    /// The hook type's name.
    pub hook_type: &'static str,
    /// `priority = N` (0 by default; lower runs first).
    pub priority: i32,
    /// The params, resolved against the instance that owns the hook.
    pub params: Vec<ParamValue>,
    /// `timeout = ".."`, if set.
    pub timeout: Option<Duration>,
    /// Whether the hook is an `async fn`.
    pub is_async: bool,
    /// Whether the params are computed from the instance (`describe()` leaves them empty).
    pub dynamic_params: bool,
    /// Where the method is defined (`None` for attached hooks).
    pub location: Option<Location>,
    /// Whether the hook was attached at run time.
    pub attached: bool,
    /// Its context tags (attached hooks; static hooks have none and run in every context).
    pub tags: Vec<String>,
    /// Whether it runs (see `disable_hook`).
    pub enabled: bool,
    /// How often it ran, while stats were kept (`enable_stats`, or reports for attached hooks).
    pub calls: u64,
    /// Its total time over those calls.
    pub total_time: Duration,
}

pub(crate) fn static_info<R: Hooks>(root: &R, hook: &crate::registry::StaticHook) -> HookInfo {
    let reg = hook.reg;
    let (mut enabled, mut calls, mut total_time) = (true, 0, Duration::ZERO);
    if let Some(store) = root.__hooks_attached() {
        let (r, t) = (TypeId::of::<R>(), (reg.hook_type)());
        enabled = !store.disabled_static(r, t).iter().any(|m| m == reg.method);
        if let Some(stats) = store.peek_static_stats((r, t, reg.owner_name, reg.method)) {
            (calls, total_time) = (stats.calls(), stats.total());
        }
    }
    HookInfo { params: hook.params(root), enabled, calls, total_time, ..info_of(reg) }
}

pub(crate) fn info_of(reg: &crate::registry::Registration) -> HookInfo {
    HookInfo {
        owner: reg.owner_name,
        method: Cow::Borrowed(reg.method),
        hook_type: reg.hook_name,
        priority: reg.priority,
        params: Vec::new(),
        dynamic_params: reg.dynamic_params,
        timeout: reg.timeout,
        is_async: reg.is_async,
        location: Some(reg.location),
        attached: false,
        tags: Vec::new(),
        enabled: true,
        calls: 0,
        total_time: Duration::ZERO,
    }
}

/// An attached hook as listed, its params computed from `root` (an error lists none, logged).
pub(crate) fn attached_info(root: &dyn Any, hook: &AttachedHook) -> HookInfo {
    let params = hook.params_of(root).unwrap_or_else(|reason| {
        tracing::warn!(hook = %hook.name, %reason, "attached hook's params not computed");
        Vec::new()
    });
    attached_info_with(hook, params)
}

pub(crate) fn attached_info_with(hook: &AttachedHook, params: Vec<ParamValue>) -> HookInfo {
    HookInfo {
        owner: hook.owner,
        method: hook.name.clone(),
        hook_type: hook.hook_name,
        priority: hook.priority,
        params,
        dynamic_params: hook.dynamic.is_some(),
        timeout: None,
        is_async: hook.is_async,
        location: None,
        attached: true,
        tags: hook.tags.iter().map(|t| t.to_string()).collect(),
        enabled: hook.enabled,
        calls: hook.stats.calls(),
        total_time: hook.stats.total(),
    }
}
