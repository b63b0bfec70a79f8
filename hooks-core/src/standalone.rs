//! [`HookRegistry`]: named hooks for code without components, on typed hook types or on events
//! named by strings (the seeds' `register_hook_callback(name, f, priority, context)` and
//! `trigger_hook(name, data)`). It is a component like any other: the same ordering, reports,
//! filters, enable/disable/remove and statistics.

use std::any::Any;
use std::borrow::Cow;
use std::sync::OnceLock;

use crate::attach::{AttachedHooks, HookSpec};
use crate::component::{Hooks, HooksMixin};
use crate::error::HookError;
use crate::hook::HookType;
use crate::registry::{Provided, Table, Walker};
use crate::report::{RunReport, RunSpec};
use crate::shim::IntoHookResult;

crate::hook_type!(
    /// A string-named event of a [`HookRegistry`]: `registry.on("user_created", ..)`.
    pub OnEvent(Event)
);

/// The argument of [`OnEvent`] hooks: the event's name and its data.
#[derive(Debug)]
pub struct Event {
    name: Cow<'static, str>,
    data: Box<dyn Any + Send + Sync>,
}

impl Event {
    /// An event `name` carrying `data`.
    pub fn new(name: impl Into<Cow<'static, str>>, data: impl Any + Send + Sync) -> Self {
        Event { name: name.into(), data: Box::new(data) }
    }

    /// The event's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The data, if it is a `T`.
    pub fn data<T: Any>(&self) -> Option<&T> {
        self.data.downcast_ref()
    }
}

/// Hooks without a component. Register hooks of any hook type, or on named events; trigger them;
/// read back a [`RunReport`]. Manage them by name with `enable_hook`, `disable_hook`,
/// `remove_hook` (from [`HooksMixin`]).
///
/// ```
/// use hooks_core::{HookRegistry, HookSpec, RunSpec};
/// use std::sync::{Arc, Mutex};
///
/// # tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap().block_on(async {
/// let log = Arc::new(Mutex::new(Vec::new()));
/// let mut hooks = HookRegistry::new();
/// let l = log.clone();
/// hooks.on("user_created", HookSpec::new("wallet").priority(5), move |e| l.lock().unwrap().push(format!("wallet {}", e.data::<u32>().unwrap())))?;
/// let l = log.clone();
/// hooks.on("user_created", HookSpec::new("welcome").priority(10), move |_| l.lock().unwrap().push("welcome".to_owned()))?;
///
/// let report = hooks.trigger_event("user_created", 7u32, RunSpec::new()).await;
/// assert!(report.is_ok());
/// assert_eq!(*log.lock().unwrap(), ["wallet 7", "welcome"]);
/// # Ok::<(), hooks_core::HookError>(()) }).unwrap();
/// ```
#[derive(Default, Debug)]
pub struct HookRegistry {
    attached: AttachedHooks,
}

impl HookRegistry {
    /// An empty registry.
    pub fn new() -> Self {
        Self::default()
    }

    /// Registers (or replaces, by name) a hook of type `H`; `f` receives the argument.
    pub fn register<H, F, Out>(&mut self, spec: HookSpec, f: F) -> Result<(), HookError>
    where
        H: HookType,
        F: Fn(&H::Arg) -> Out + Send + Sync + 'static,
        Out: IntoHookResult,
    {
        self.attach_hook_with::<H, _, _>(spec, move |_: &mut HookRegistry, arg: &H::Arg| f(arg))
    }

    /// Registers (or replaces, by name) a hook on the event named `event`.
    pub fn on<F, Out>(&mut self, event: impl Into<Cow<'static, str>>, spec: HookSpec, f: F) -> Result<(), HookError>
    where
        F: Fn(&Event) -> Out + Send + Sync + 'static,
        Out: IntoHookResult,
    {
        let event: Cow<'static, str> = event.into();
        self.register::<OnEvent, _, _>(spec.keys([event.into_owned()]), f)
    }

    /// Runs the hooks of type `H` as `spec` says.
    pub async fn trigger<H: HookType>(&mut self, arg: &H::Arg, spec: RunSpec) -> RunReport {
        self.run_hooks_report::<H>(arg, spec).await
    }

    /// Runs the hooks on the event `name` with `data`, as `spec` says.
    pub async fn trigger_event(
        &mut self,
        name: impl Into<Cow<'static, str>>,
        data: impl Any + Send + Sync,
        spec: RunSpec,
    ) -> RunReport {
        let event = Event::new(name, data);
        let spec = spec.event(event.name().to_owned());
        self.run_hooks_report::<OnEvent>(&event, spec).await
    }
}

impl Hooks for HookRegistry {
    const NAME: &'static str = "HookRegistry";
    const PROVIDED: Provided = Provided { own: &[Provided::ANY], bases: &[] };
    type Storage = crate::component::storage::Kept;

    fn __hooks_table() -> &'static Table {
        static TABLE: OnceLock<Table> = OnceLock::new();
        Table::cached(&TABLE, Table::build::<Self>)
    }

    fn __hooks_bases(_: &mut Walker<'_, Self>) {}

    fn __hooks_attached(&self) -> Option<&AttachedHooks> {
        Some(&self.attached)
    }

    fn __hooks_attached_mut(&mut self) -> Option<&mut AttachedHooks> {
        Some(&mut self.attached)
    }
}
