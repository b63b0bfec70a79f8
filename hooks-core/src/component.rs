//! Components: the [`Hooks`] trait that `#[derive(Hooks)]` implements, and the [`HooksMixin`]
//! surface every component gets (run, list and attach hooks).

use std::any::{Any, TypeId};
use std::borrow::Cow;
use std::future::Future;
use std::time::Duration;

use crate::attach::{attach, attach_sync, set_enabled, AttachedFn, AttachedHooks, HookSpec, Wrapped};
use crate::error::{HookError, MultiError};
use crate::hook::{HookId, HookType};
use crate::info::{attached_info, attached_info_with, info_of, static_info, HookInfo};
use crate::params::IntoParams;
use crate::registry::{Provided, Table, Walker};
use crate::report::{RunReport, RunSpec};
use crate::run::{run_hook_at, run_hooks, run_hooks_report, ArgOf, RunOptions};
use crate::shim::{HookFuture, HookResult, IntoHookResult, Step};

/// A type whose methods can be hooks. Implemented by `#[derive(Hooks)]`; the hidden items are the
/// derive's business.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a hooks component",
    label = "`{Self}` has no `#[derive(Hooks)]`",
    note = "add `#[derive(Hooks)]` to the definition of `{Self}`"
)]
pub trait Hooks: Sized + Send + 'static {
    /// The type's name as written.
    const NAME: &'static str;
    /// The hook types this type provides, its own and its bases'.
    const PROVIDED: Provided;
    /// Whether the type keeps run-time hooks ([`storage::Kept`]: it has an [`AttachedHooks`]
    /// field or a base that keeps them), as a type, so that attaching to a type that cannot keep
    /// them is a compile error ([`AttachStorage`]).
    #[doc(hidden)]
    type Storage: storage::Flag;

    /// This type's cached hook table.
    #[doc(hidden)]
    fn __hooks_table() -> &'static Table;

    /// Visits each `#[hooks(base)]` field, in field order.
    #[doc(hidden)]
    fn __hooks_bases(walker: &mut Walker<'_, Self>);

    /// Where run-time hooks are kept, if anywhere.
    #[doc(hidden)]
    fn __hooks_attached(&self) -> Option<&AttachedHooks>;

    /// Where run-time hooks are kept, if anywhere.
    #[doc(hidden)]
    fn __hooks_attached_mut(&mut self) -> Option<&mut AttachedHooks>;

    /// The instance's name in a tree (`#[hooks(name)]`); the type's name when `None`.
    #[doc(hidden)]
    fn __hooks_name(&self) -> Option<&str> {
        None
    }

    /// Appends each child component (`#[hooks(child)]`, `#[hooks(children)]`) to `out`, bases'
    /// first. (Collected, not visited through a callback: the tree walks keep the children they
    /// have yet to visit in a `Vec` rather than recursing, issue #11.)
    #[doc(hidden)]
    fn __hooks_children<'a>(&'a self, _out: &mut Vec<&'a dyn crate::tree::Node>) {}

    /// Gives `_out` each child component and each collection of them, mutably, bases' first.
    #[doc(hidden)]
    fn __hooks_children_mut<'a>(&'a mut self, _out: &mut crate::tree::ChildVisitor<'a>) {}
}

/// Whether a component type keeps run-time hooks, as a type: the derive computes
/// `Hooks::Storage` from its fields (an [`AttachedHooks`] field keeps them; otherwise the first
/// base that keeps them does).
#[doc(hidden)]
pub mod storage {
    /// Keeps run-time hooks.
    #[derive(Debug)]
    pub enum Kept {}
    /// Has nowhere to keep them.
    #[derive(Debug)]
    pub enum NotKept {}

    /// [`Kept`] or [`NotKept`]; `Or` is what a type with this flag and a later base's gets.
    pub trait Flag {
        /// This flag or `B`'s.
        type Or<B: Flag>: Flag;
    }

    impl Flag for Kept {
        type Or<B: Flag> = Kept;
    }

    impl Flag for NotKept {
        type Or<B: Flag> = B;
    }

    /// The flag of a component that keeps run-time hooks.
    #[diagnostic::on_unimplemented(
        message = "this component has nowhere to keep run-time hooks",
        label = "no `AttachedHooks` in the component or in any of its bases",
        note = "embed a runtime base such as `Service` with #[hooks(base)], or add a field \
                `#[hooks(attached)] attached: AttachedHooks` to the component"
    )]
    pub trait KeepsHooks {}

    impl KeepsHooks for Kept {}
}

/// A component that keeps run-time hooks: what `attach_hook` & co. require, so that attaching to
/// one that cannot keep them does not compile. The message (from [`storage::KeepsHooks`]) says
/// the fix; rustc's "required for `T` to implement `AttachStorage`" names the type.
pub trait AttachStorage: Hooks {}

impl<T: Hooks> AttachStorage for T where T::Storage: storage::KeepsHooks {}

/// Running, listing and attaching hooks: available on every [`Hooks`] type.
///
/// ```
/// use hooks_core::{hook_type, HooksMixin, HookError};
/// # use hooks_core::__doc_component as component;
/// hook_type!(pub OnTick(u32));
/// # component!(Counter, OnTick);
///
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let mut counter = Counter::default();
/// counter.attach_hook::<OnTick>("add", |c: &mut Counter, n: &u32| c.total += n, ()).unwrap();
/// counter.run_hooks_with::<OnTick>(&5).await.unwrap();
/// assert_eq!(counter.total, 5);
/// assert_eq!(counter.hooks::<OnTick>()[0].method, "add");
/// # });
/// ```
pub trait HooksMixin: Hooks {
    /// Runs every hook of type `H`, in order, with `H::Arg::default()` as the argument
    /// (for hook types without an argument, such as `OnInit`).
    fn run_hooks<H: HookType>(&mut self) -> impl Future<Output = Result<(), MultiError>> + Send + '_
    where
        H::Arg: Default,
    {
        run_hooks(self, HookId::of::<H>(), ArgOf::default_of::<H>(), RunOptions::default())
    }

    /// Runs every hook of type `H` with `arg`, in order.
    fn run_hooks_with<'a, H: HookType>(
        &'a mut self,
        arg: &'a H::Arg,
    ) -> impl Future<Output = Result<(), MultiError>> + Send + 'a {
        run_hooks(self, HookId::of::<H>(), ArgOf::Borrowed(arg), RunOptions::default())
    }

    /// Runs every hook of type `H` in the exact reverse order.
    fn run_hooks_reversed<H: HookType>(&mut self) -> impl Future<Output = Result<(), MultiError>> + Send + '_
    where
        H::Arg: Default,
    {
        run_hooks(
            self,
            HookId::of::<H>(),
            ArgOf::default_of::<H>(),
            RunOptions { reversed: true, ..RunOptions::default() },
        )
    }

    /// Runs every hook of type `H` with `arg`, in the exact reverse order.
    fn run_hooks_reversed_with<'a, H: HookType>(
        &'a mut self,
        arg: &'a H::Arg,
    ) -> impl Future<Output = Result<(), MultiError>> + Send + 'a {
        run_hooks(self, HookId::of::<H>(), ArgOf::Borrowed(arg), RunOptions { reversed: true, ..RunOptions::default() })
    }

    /// Runs every hook of type `H` with `arg` as `options` say (order, a cap on each hook's time).
    fn run_hooks_with_options<'a, H: HookType>(
        &'a mut self,
        arg: &'a H::Arg,
        options: RunOptions,
    ) -> impl Future<Output = Result<(), MultiError>> + Send + 'a {
        run_hooks(self, HookId::of::<H>(), ArgOf::Borrowed(arg), options)
    }

    /// Runs only the hook of type `H` at `position` in run order (the order of [`hooks`](Self::hooks));
    /// `None` when there is no such hook. Used to run one background task at a time.
    fn run_hook_at<'a, H: HookType>(
        &'a mut self,
        position: usize,
        arg: &'a H::Arg,
    ) -> impl Future<Output = Option<Result<(), HookError>>> + Send + 'a {
        run_hook_at(self, HookId::of::<H>(), position, arg, None)
    }

    /// [`run_hook_at`](Self::run_hook_at) with a cap on the hook's time (a stop budget's rest):
    /// the smaller of `cap` and the hook's own `timeout` applies (`HookError::TimedOut`).
    fn run_hook_at_capped<'a, H: HookType>(
        &'a mut self,
        position: usize,
        arg: &'a H::Arg,
        cap: Option<Duration>,
    ) -> impl Future<Output = Option<Result<(), HookError>>> + Send + 'a {
        run_hook_at(self, HookId::of::<H>(), position, arg, cap)
    }

    /// Whether a run of `H` on this instance would do anything: a hook of type `H` (static, or
    /// attached), an around-hook, or a historic type's record. Cheap (no allocation): a caller
    /// that runs hook types most components leave empty can skip the run.
    ///
    /// ```
    /// # use hooks_core::{HooksMixin, OnInit, OnStop};
    /// # use hooks_core::__doc_component as component;
    /// # component!(Counter, OnInit);
    /// let mut c = Counter::default();
    /// assert!(!c.has_hooks::<OnInit>());
    /// c.attach_hook::<OnInit>("count", |c: &mut Counter, _: &()| c.total += 1, ()).unwrap();
    /// assert!(c.has_hooks::<OnInit>());
    /// ```
    fn has_hooks<H: HookType>(&self) -> bool {
        H::HISTORY > 0
            || !Self::__hooks_table().of(TypeId::of::<H>()).is_empty()
            || self.__hooks_attached().is_some_and(|store| store.touches(TypeId::of::<Self>(), TypeId::of::<H>()))
    }

    /// This instance's hooks of type `H`, in run order (static, then attached at equal priority).
    fn hooks<H: HookType>(&self) -> Vec<HookInfo> {
        let statics = Self::__hooks_table().of(TypeId::of::<H>());
        let attached =
            self.__hooks_attached().map(|a| a.snapshot(TypeId::of::<Self>(), TypeId::of::<H>())).unwrap_or_default();
        crate::order::schedule(statics, &attached, false)
            .map(|hook| match hook {
                crate::order::Scheduled::Static(h) => static_info(self, h),
                crate::order::Scheduled::Attached(h) => attached_info(self, h),
            })
            .collect()
    }

    /// [`hooks`](Self::hooks), with each hook's params resolved under `catch_unwind`: a params
    /// closure (or a message key whose `Debug` impl) that panics is reported as
    /// [`HookError::Panicked`] naming that hook, instead of unwinding into the caller. The
    /// runtime resolves message routes and task intervals with it.
    ///
    /// ```
    /// # use hooks_core::{HooksMixin, OnInit};
    /// # use hooks_core::__doc_component as component;
    /// # component!(Counter, OnInit);
    /// assert!(Counter::default().try_hooks::<OnInit>().unwrap().is_empty());
    /// ```
    fn try_hooks<H: HookType>(&self) -> Result<Vec<HookInfo>, HookError> {
        let statics = Self::__hooks_table().of(TypeId::of::<H>());
        let attached =
            self.__hooks_attached().map(|a| a.snapshot(TypeId::of::<Self>(), TypeId::of::<H>())).unwrap_or_default();
        crate::order::schedule(statics, &attached, false)
            .map(|hook| match hook {
                crate::order::Scheduled::Static(h) => std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                    static_info(self, h)
                }))
                .map_err(|payload| HookError::Panicked {
                    owner: h.reg.owner_name,
                    method: Cow::Borrowed(h.reg.method),
                    hook_type: H::NAME,
                    message: format!("resolving its params panicked: {}", crate::error::panic_message(&*payload)),
                }),
                crate::order::Scheduled::Attached(h) => match h.params_of(self) {
                    Ok(params) => Ok(attached_info_with(h, params)),
                    Err(reason) => {
                        Err(HookError::Refused { owner: h.owner, method: h.name.clone(), hook_type: H::NAME, reason })
                    }
                },
            })
            .collect()
    }

    /// Every hook of this instance, grouped by hook type, each group in run order.
    fn hook_infos(&self) -> Vec<HookInfo> {
        // The hook types in the order their first hook is listed (static, then attached); each
        // group in the order `hooks::<H>()` lists and runs it (`order::schedule`, one rule).
        let root = TypeId::of::<Self>();
        let table = Self::__hooks_table();
        let mut types: Vec<TypeId> = Vec::new();
        let attached = self.__hooks_attached();
        let extra = attached.into_iter().flat_map(|a| a.of_root(root)).map(|h| h.hook_type);
        for ty in table.all().map(|h| (h.reg.hook_type)()).chain(extra) {
            if !types.contains(&ty) {
                types.push(ty);
            }
        }
        let mut infos = Vec::new();
        for ty in types {
            let snapshot = attached.map(|a| a.snapshot(root, ty)).unwrap_or_default();
            infos.extend(crate::order::schedule(table.of(ty), &snapshot, false).map(|hook| match hook {
                crate::order::Scheduled::Static(h) => static_info(self, h),
                crate::order::Scheduled::Attached(h) => attached_info(self, h),
            }));
        }
        infos
    }

    /// Every hook of this type, listed without an instance and without running anything: kind,
    /// owner, order, sync/async, priority, timeout and static params (a background task's
    /// interval, a message handler's types). Params computed from an instance are left empty and
    /// flagged with [`HookInfo::dynamic_params`].
    ///
    /// ```
    /// # use hooks_core::{HooksMixin, OnInit};
    /// # use hooks_core::__doc_component as component;
    /// # component!(Counter, OnInit);
    /// assert!(Counter::describe().is_empty(), "no hook registered");
    /// ```
    fn describe() -> Vec<HookInfo> {
        Self::__hooks_table()
            .all()
            .map(|h| {
                let reg = h.reg;
                let params = match reg.params {
                    Some(resolve) if !reg.dynamic_params => resolve(&()),
                    _ => Vec::new(),
                };
                HookInfo { params, location: Some(reg.location), ..info_of(reg) }
            })
            .collect()
    }

    /// Whether this type provides hook type `H` (itself or through a base).
    fn provides<H: HookType>() -> bool {
        Self::PROVIDED.contains(H::KEY)
    }

    /// Attaches a plain-`fn` hook of type `H` to this instance, after its static hooks of equal
    /// priority (0) and after hooks attached before it.
    ///
    /// Refused with [`HookError::Unsupported`] when the type does not provide `H`. A type with no
    /// [`AttachedHooks`] (itself or in a base) cannot take run-time hooks at all: calling this
    /// on it does not compile ([`AttachStorage`]); the run-time twin, [`HookError::NoAttachStorage`],
    /// is left for registrations over a tree, whose nodes are only known at run time.
    ///
    /// `f` is any `Fn(&mut Self, &H::Arg) -> R` with `R` = `()`, a `Control` or a `Result`; give
    /// its parameters their types (`|c: &mut Worker, msg: &Message| ..`), since `attach_hook`
    /// takes only the hook type as a generic argument (`attach_hook::<OnMessage>(..)`).
    fn attach_hook<H: HookType>(
        &mut self,
        name: impl Into<Cow<'static, str>>,
        f: impl HookFn<Self, H>,
        params: impl IntoParams,
    ) -> Result<(), HookError>
    where
        Self: AttachStorage,
    {
        attach_sync::<Self, H>(self, HookSpec::new(name).params(params), move |this, arg| f.call(this, arg))
    }

    /// Attaches (or replaces, by name) a plain-`fn` hook of type `H` as `spec` says: priority,
    /// context tags, enabled, error handler, params. Static and attached hooks form one ordered
    /// list: at equal priority, attached hooks come after static ones, in attach order; a
    /// replaced hook keeps its place and takes the new priority.
    ///
    /// ```
    /// # use hooks_core::{hook_type, HooksMixin, HookSpec};
    /// # use hooks_core::__doc_component as component;
    /// hook_type!(pub UserCreated(String));
    /// # component!(App, UserCreated);
    /// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// let mut app = App::default();
    /// app.attach_hook_with::<UserCreated, _, _>(HookSpec::new("welcome").priority(10), |a: &mut App, _: &String| a.total += 1)?;
    /// app.attach_hook_with::<UserCreated, _, _>(HookSpec::new("welcome").priority(1), |a: &mut App, _: &String| a.total += 10)?;
    /// app.run_hooks_with::<UserCreated>(&"ada".to_owned()).await.unwrap();
    /// assert_eq!(app.total, 10, "replaced by name: one hook");
    /// assert_eq!(app.hooks::<UserCreated>()[0].priority, 1);
    /// # Ok::<(), hooks_core::HookError>(()) }).unwrap();
    /// ```
    fn attach_hook_with<H, F, Out>(&mut self, spec: HookSpec, f: F) -> Result<(), HookError>
    where
        Self: AttachStorage,
        H: HookType,
        F: Fn(&mut Self, &H::Arg) -> Out + Send + Sync + 'static,
        Out: IntoHookResult,
    {
        attach_sync::<Self, H>(self, spec, move |this, arg| f(this, arg).into_hook_result())
    }

    /// Attaches (or replaces, by name) an around-hook of type `H`: `before` runs before every hook
    /// of the type, `after` after them all, with their combined result, and returns the run's
    /// result: it may keep it, replace an error with success, or fail the run. The first
    /// around-hook attached is the outermost. Around-hooks are not listed by `hooks::<H>()`;
    /// `remove_hook` removes them by name.
    ///
    /// ```
    /// # use hooks_core::{hook_type, HooksMixin};
    /// # use hooks_core::__doc_component as component;
    /// hook_type!(pub Sync);
    /// # component!(Mirror, Sync);
    /// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// let mut m = Mirror::default();
    /// m.attach_hook::<Sync>("flaky", |_: &mut Mirror, _: &()| Err::<(), _>("network down"), ()).unwrap();
    /// m.attach_around::<Sync, _, _>(
    ///     "retry-later",
    ///     |_: &mut Mirror, _: &()| {},
    ///     |m: &mut Mirror, _: &(), result| { if result.is_err() { m.total += 1; } Ok(()) },
    /// ).unwrap();
    /// assert!(m.run_hooks::<Sync>().await.is_ok(), "the around-hook replaced the error");
    /// assert_eq!(m.total, 1);
    /// # });
    /// ```
    fn attach_around<H, B, A>(
        &mut self,
        name: impl Into<Cow<'static, str>>,
        before: B,
        after: A,
    ) -> Result<(), HookError>
    where
        Self: AttachStorage,
        H: HookType,
        B: Fn(&mut Self, &H::Arg) + Send + Sync + 'static,
        A: Fn(&mut Self, &H::Arg, Result<(), MultiError>) -> Result<(), MultiError> + Send + Sync + 'static,
    {
        self.attach_wrapper::<H, _, _>(name, before, move |this: &mut Self, arg: &H::Arg, run: &mut Wrapped<'_>| {
            let result = after(this, arg, run.result().clone());
            run.set_result(result);
        })
    }

    /// [`attach_around`](Self::attach_around) whose second half sees the whole run it wraps, as
    /// pluggy's wrappers do: the combined result and, in a report run (`run_hooks_report`), the
    /// values the hooks returned ([`Wrapped::first`], [`Wrapped::values`]); it may replace both
    /// ([`Wrapped::set_result`], [`Wrapped::set_value`]), so it can read or force the result of a
    /// first-result run. (A fold run's context is the hook type's argument: `after` sees it.)
    /// Refused with [`HookError::Refused`] on a historic hook type, as pluggy refuses wrappers
    /// there: its replays call one late hook alone, outside any run to wrap.
    ///
    /// ```
    /// # use hooks_core::{hook_type, HooksMixin, RunSpec};
    /// # use hooks_core::__doc_component as component;
    /// hook_type!(pub Price(u32));
    /// # component!(Shop, Price);
    /// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// let mut shop = Shop::default();
    /// shop.attach_hook::<Price>("list", |_: &mut Shop, base: &u32| Ok::<_, String>(*base), ()).unwrap();
    /// shop.attach_wrapper::<Price, _, _>("discount", |_: &mut Shop, _: &u32| {}, |_: &mut Shop, _: &u32, run| {
    ///     if let Some(&price) = run.first::<u32>() {
    ///         run.set_value(price * 9 / 10);
    ///     }
    /// }).unwrap();
    /// let report = shop.run_hooks_report::<Price>(&100, RunSpec::new().first_value()).await;
    /// assert_eq!(report.first::<u32>(), Some(&90));
    /// # });
    /// ```
    fn attach_wrapper<H, B, A>(
        &mut self,
        name: impl Into<Cow<'static, str>>,
        before: B,
        after: A,
    ) -> Result<(), HookError>
    where
        Self: AttachStorage,
        H: HookType,
        B: Fn(&mut Self, &H::Arg) + Send + Sync + 'static,
        A: Fn(&mut Self, &H::Arg, &mut Wrapped<'_>) + Send + Sync + 'static,
    {
        let (owner, hook_type, name) = (Self::NAME, H::NAME, name.into());
        if !Self::PROVIDED.contains(H::KEY) {
            return Err(HookError::Unsupported { owner, method: name, hook_type });
        }
        if H::HISTORY > 0 {
            // As pluggy refuses wrappers on historic hooks: a replay calls one late hook alone,
            // outside any run, so there would be nothing for the around-hook to wrap.
            let reason = "an around-hook cannot wrap a historic hook type (its replays run one late hook alone, \
                          outside any run to wrap); attach a plain hook instead"
                .to_owned();
            return Err(HookError::Refused { owner, method: name, hook_type, reason });
        }
        let Some(store) = self.__hooks_attached_mut() else {
            return Err(HookError::NoAttachStorage { owner, method: name, hook_type });
        };
        let before: crate::attach::AroundBefore = Box::new(move |this: &mut dyn Any, arg: &dyn Any| {
            if let (Some(this), Some(arg)) = (this.downcast_mut(), arg.downcast_ref()) {
                before(this, arg);
            }
        });
        let after: crate::attach::AroundAfter = Box::new(move |this: &mut dyn Any, arg: &dyn Any, run| {
            if let (Some(this), Some(arg)) = (this.downcast_mut(), arg.downcast_ref()) {
                after(this, arg, run);
            }
        });
        store.put_around(crate::attach::AroundHook {
            root: TypeId::of::<Self>(),
            hook_type: TypeId::of::<H>(),
            name,
            before,
            after,
        });
        Ok(())
    }

    /// Enables the hook of type `H` named `name` (an attached hook, or a static hook by method
    /// name); [`HookError::UnknownHook`] when there is none.
    fn enable_hook<H: HookType>(&mut self, name: &str) -> Result<(), HookError> {
        set_enabled::<Self, H>(self, name, true)
    }

    /// Disables the hook of type `H` named `name`: it stays listed (`enabled: false`), and runs
    /// report it as `Outcome::Disabled` without running it.
    fn disable_hook<H: HookType>(&mut self, name: &str) -> Result<(), HookError> {
        set_enabled::<Self, H>(self, name, false)
    }

    /// Removes the attached hook of type `H` named `name`. Static hooks cannot be removed (disable
    /// them); an unknown name is [`HookError::UnknownHook`].
    fn remove_hook<H: HookType>(&mut self, name: &str) -> Result<(), HookError> {
        let (owner, hook_type) = (Self::NAME, H::NAME);
        let unknown = || HookError::UnknownHook { owner, method: Cow::Owned(name.to_owned()), hook_type };
        let is_static = Self::__hooks_table().of(TypeId::of::<H>()).iter().any(|h| h.reg.method == name);
        let store = self.__hooks_attached_mut().ok_or_else(unknown)?;
        if store.remove(TypeId::of::<Self>(), TypeId::of::<H>(), name) {
            Ok(())
        } else if is_static {
            Err(HookError::StaticHook { owner, method: Cow::Owned(name.to_owned()), hook_type })
        } else {
            Err(unknown())
        }
    }

    /// Turns on call counts and total times for every hook of this instance (attached hooks'
    /// are also kept by every `run_hooks_report`); read them in [`HookInfo::calls`] and
    /// [`HookInfo::total_time`]. Needs an [`AttachedHooks`] (itself or in a base).
    fn enable_stats(&mut self) -> Result<(), HookError>
    where
        Self: AttachStorage,
    {
        let store = self.__hooks_attached_mut().ok_or(HookError::NoAttachStorage {
            owner: Self::NAME,
            method: Cow::Borrowed("enable_stats"),
            hook_type: "*",
        })?;
        store.enable_stats();
        Ok(())
    }

    /// Runs every hook of type `H` with `arg` as `spec` says (a context, first value, reversed)
    /// and reports each hook: outcome (ok, failed, panicked, timed out, stopped, disabled,
    /// filtered, not reached), time and value.
    fn run_hooks_report<'a, H: HookType>(
        &'a mut self,
        arg: &'a H::Arg,
        spec: RunSpec,
    ) -> impl Future<Output = RunReport> + Send + 'a {
        run_hooks_report(self, HookId::of::<H>(), arg, spec)
    }

    /// Attaches an async hook: `f` returns a boxed future borrowing the instance and the argument.
    ///
    /// ```
    /// # use hooks_core::{HooksMixin, OnStop};
    /// # use hooks_core::__doc_component as component;
    /// # component!(Counter, OnStop);
    /// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// let mut c = Counter::default();
    /// c.attach_hook_async::<OnStop, _, _>(
    ///     "flush",
    ///     |c, _reason| Box::pin(async move { c.total += 1; Ok::<_, std::io::Error>(()) }),
    ///     (),
    /// ).unwrap();
    /// c.run_hooks::<OnStop>().await.unwrap();
    /// assert_eq!(c.total, 1);
    /// # });
    /// ```
    fn attach_hook_async<H, F, Out>(
        &mut self,
        name: impl Into<Cow<'static, str>>,
        f: F,
        params: impl IntoParams,
    ) -> Result<(), HookError>
    where
        Self: AttachStorage,
        H: HookType,
        F: for<'a> Fn(&'a mut Self, &'a H::Arg) -> std::pin::Pin<Box<dyn Future<Output = Out> + Send + 'a>>
            + Send
            + Sync
            + 'static,
        Out: IntoHookResult + 'static,
    {
        let call: AttachedFn = Box::new(move |this: &mut dyn Any, arg: &dyn Any| {
            match (this.downcast_mut::<Self>(), arg.downcast_ref()) {
                (Some(this), Some(arg)) => {
                    let future = f(this, arg);
                    let future: HookFuture<'_> = Box::pin(async move { future.await.into_hook_result() });
                    Step::Pending(future)
                }
                _ => Step::mismatch(Self::NAME, "receiver or argument"),
            }
        });
        attach::<Self, H>(self, HookSpec::new(name).params(params), call, true)
    }
}

impl<T: Hooks> HooksMixin for T {}

/// A plain-`fn` hook of component `T` and hook type `H`: what `attach_hook` takes. Implemented
/// for every `Fn(&mut T, &H::Arg) -> R` where `R` is a hook result (`()`, `Control`, `Result`).
pub trait HookFn<T, H: HookType>: Send + Sync + 'static {
    /// Calls the hook.
    fn call(&self, this: &mut T, arg: &H::Arg) -> HookResult;
}

impl<T, H, F, Out> HookFn<T, H> for F
where
    H: HookType,
    F: Fn(&mut T, &H::Arg) -> Out + Send + Sync + 'static,
    Out: IntoHookResult,
{
    fn call(&self, this: &mut T, arg: &H::Arg) -> HookResult {
        self(this, arg).into_hook_result()
    }
}
