//! Attaching hooks to one instance, as [`HooksMixin`](crate::HooksMixin) does it: checks (provided,
//! storage, params, constraints), the replay of a historic type's past events, enabling.

use std::any::{Any, TypeId};
use std::borrow::Cow;

use super::{AttachedFn, AttachedHook, HookSpec};
use crate::component::Hooks;
use crate::error::HookError;
use crate::hook::{HookId, HookType};
use crate::shim::{HookResult, Step};

/// Attaches a plain-`fn` hook, then replays the past events of a historic hook type to it.
pub(crate) fn attach_sync<R: Hooks, H: HookType>(
    this: &mut R,
    spec: HookSpec,
    f: impl Fn(&mut R, &H::Arg) -> HookResult + Send + Sync + 'static,
) -> Result<(), HookError> {
    let call: AttachedFn =
        Box::new(move |this: &mut dyn Any, arg: &dyn Any| match (this.downcast_mut::<R>(), arg.downcast_ref()) {
            (Some(this), Some(arg)) => Step::Done(f(this, arg)),
            _ => Step::mismatch(R::NAME, "receiver or argument"),
        });
    let name = spec.name.clone();
    attach::<R, H>(this, spec, call, false)?;
    if H::HISTORY > 0 {
        replay::<R, H>(this, &name);
    }
    Ok(())
}

pub(crate) fn attach<R: Hooks, H: HookType>(
    this: &mut R,
    spec: HookSpec,
    call: AttachedFn,
    is_async: bool,
) -> Result<(), HookError> {
    attach_erased(this, *HookId::of::<H>(), spec, call, is_async)
}

/// Attaches (or replaces, by name) a hook of the hook type `hook` to `this`.
pub(crate) fn attach_erased<R: Hooks>(
    this: &mut R,
    hook: HookId,
    spec: HookSpec,
    call: AttachedFn,
    is_async: bool,
) -> Result<(), HookError> {
    let (owner, hook_type) = (R::NAME, hook.name);
    if !R::PROVIDED.contains(hook.key) {
        return Err(HookError::Unsupported { owner, method: spec.name, hook_type });
    }
    let Some(store) = this.__hooks_attached_mut() else {
        return Err(HookError::NoAttachStorage { owner, method: spec.name, hook_type });
    };
    let mut spec = spec;
    spec.params = match hook.params.check(std::mem::take(&mut spec.params)) {
        Ok(params) => params,
        Err(reason) => return Err(HookError::Refused { owner, method: spec.name, hook_type, reason }),
    };
    if let Some(dynamic) = spec.dynamic.as_ref().filter(|d| d.root != TypeId::of::<R>()) {
        let reason =
            format!("its `params_from` closure reads a `{}`, but it is attached to `{owner}`", dynamic.root_name);
        return Err(HookError::Refused { owner, method: spec.name, hook_type, reason });
    }
    let (root, ty) = (TypeId::of::<R>(), hook.id());
    let constrained = !spec.before.is_empty() || !spec.after.is_empty();
    let name = spec.name.clone();
    let previous = store.put(AttachedHook {
        root,
        hook_type: ty,
        hook_name: hook_type,
        owner,
        name: spec.name,
        priority: spec.priority,
        seq: 0,
        params: spec.params,
        dynamic: spec.dynamic.map(|d| (d, hook.params)),
        tags: spec.tags,
        enabled: spec.enabled,
        on_error: spec.on_error,
        before: spec.before,
        after: spec.after,
        is_async,
        stats: Default::default(),
        call: std::sync::Arc::new(call),
    });
    // Refuse contradicting constraints now, naming the cycle, rather than at every run.
    if let Err(cycle) = crate::order::check_attached(R::__hooks_table().of(ty), store, (root, ty), &name, constrained) {
        store.undo_put(root, ty, &name, previous);
        return Err(HookError::OrderCycle { owner, method: name, hook_type, cycle });
    }
    Ok(())
}

/// Calls the just attached plain-`fn` hook `name` with every remembered argument of `H`, oldest
/// first; a failure goes to its error handler and to the log (the hook stays attached).
fn replay<R: Hooks, H: HookType>(this: &mut R, name: &str) {
    let (root, ty) = (TypeId::of::<R>(), TypeId::of::<H>());
    let Some(store) = this.__hooks_attached() else { return };
    let past = store.history((root, ty));
    let Some(hook) = store.named(root, ty, name).map(|(_, hook)| hook.clone()) else { return };
    let call = &hook.call;
    for arg in past {
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| match call(this, &*arg) {
            Step::Done(result) => result.map(drop),
            Step::Pending(_) => Ok(()),
        }));
        let error = match outcome {
            Ok(Ok(())) => continue,
            Ok(Err(source)) => HookError::Failed {
                owner: R::NAME,
                method: hook.name.clone(),
                hook_type: H::NAME,
                source: source.into(),
            },
            Err(payload) => HookError::Panicked {
                owner: R::NAME,
                method: hook.name.clone(),
                hook_type: H::NAME,
                message: crate::error::panic_message(&*payload),
            },
        };
        tracing::warn!(%error, "replay of a historic event failed");
        if let Some(handler) = &hook.on_error {
            handler(&error);
        }
    }
}

pub(crate) fn set_enabled<R: Hooks, H: HookType>(this: &mut R, name: &str, on: bool) -> Result<(), HookError> {
    let (owner, hook_type) = (R::NAME, H::NAME);
    let unknown = || HookError::UnknownHook { owner, method: Cow::Owned(name.to_owned()), hook_type };
    let (root, ty) = (TypeId::of::<R>(), TypeId::of::<H>());
    let method = R::__hooks_table().of(ty).iter().map(|h| h.reg.method).find(|m| *m == name);
    let store = this.__hooks_attached_mut().ok_or_else(unknown)?;
    if store.set_attached_enabled(root, ty, name, on) {
        return Ok(());
    }
    let method = method.ok_or_else(unknown)?;
    store.set_static_enabled(root, ty, method, on);
    Ok(())
}
