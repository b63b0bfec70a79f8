//! Components: the [`Hooks`] trait that `#[derive(Hooks)]` implements, and the [`HooksMixin`]
//! surface every component gets (run, list and attach hooks).

use std::any::{Any, TypeId};
use std::borrow::Cow;
use std::future::Future;
use std::time::Duration;

use crate::attach::{AttachedFn, AttachedHook, AttachedHooks, HookSpec, Wrapped};
use crate::error::{HookError, MultiError};
use crate::hook::HookType;
use crate::params::{IntoParams, ParamValue};
use crate::registry::{Location, Provided, Table, Walker};
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

/// Attaches a plain-`fn` hook, then replays the past events of a historic hook type to it.
fn attach_sync<R: Hooks, H: HookType>(
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

fn attach<R: Hooks, H: HookType>(
    this: &mut R,
    spec: HookSpec,
    call: AttachedFn,
    is_async: bool,
) -> Result<(), HookError> {
    attach_erased(this, HookId::of::<H>(), spec, call, is_async)
}

/// A hook type, erased: what attaching and running need to know of it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct HookId {
    pub(crate) id: TypeId,
    pub(crate) name: &'static str,
    pub(crate) key: &'static str,
    pub(crate) params: crate::hook::ParamKind,
    pub(crate) policy: crate::hook::ErrorPolicy,
    /// [`HookType::HISTORY`].
    pub(crate) history: usize,
    /// [`HookType::remember`], the argument erased.
    pub(crate) remember: fn(&dyn Any) -> Option<crate::hook::Remembered>,
}

impl HookId {
    #[inline]
    pub(crate) fn of<H: HookType>() -> Self {
        HookId {
            id: TypeId::of::<H>(),
            name: H::NAME,
            key: H::KEY,
            params: H::PARAMS,
            policy: H::POLICY,
            history: H::HISTORY,
            remember: remember::<H>,
        }
    }
}

fn remember<H: HookType>(arg: &dyn Any) -> Option<crate::hook::Remembered> {
    arg.downcast_ref::<H::Arg>().and_then(H::remember)
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
    let (root, ty) = (TypeId::of::<R>(), hook.id);
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

fn set_enabled<R: Hooks, H: HookType>(this: &mut R, name: &str, on: bool) -> Result<(), HookError> {
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

fn static_info<R: Hooks>(root: &R, hook: &crate::registry::StaticHook) -> HookInfo {
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

fn info_of(reg: &crate::registry::Registration) -> HookInfo {
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
fn attached_info(root: &dyn Any, hook: &AttachedHook) -> HookInfo {
    let params = hook.params_of(root).unwrap_or_else(|reason| {
        tracing::warn!(hook = %hook.name, %reason, "attached hook's params not computed");
        Vec::new()
    });
    attached_info_with(hook, params)
}

fn attached_info_with(hook: &AttachedHook, params: Vec<ParamValue>) -> HookInfo {
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
