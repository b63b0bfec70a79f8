//! DESIGN.md "Params": static and per-instance params, resolved against the instance that owns the
//! hook when they are read; typed arguments of custom hook types.

use std::time::Duration;

use hooks_runtime::prelude::*;

#[derive(Debug, Clone, Copy, PartialEq)]
enum MessageType {
    Status,
    Heartbeat,
    Debug,
    Error,
}

#[derive(Debug, Default, PartialEq)]
struct WorkerStats {
    busy: u32,
}

hook_type!(OnWorkerUpdate(WorkerStats));

#[derive(Hooks, Default)]
#[provides_hooks(OnMessage)]
struct Bus {
    #[hooks(base)]
    service: Service,
    verbose: bool,
}

#[hooks]
impl Bus {
    #[on_message(|this: &Self| if this.verbose { vec![MessageType::Debug] } else { vec![] })]
    fn bus_debug(&mut self, _msg: &Message) {}
}

#[derive(Hooks, Default)]
#[provides_hooks(OnWorkerUpdate)]
struct Manager {
    #[hooks(base)]
    bus: Bus,
    debug: bool,
    period_ms: u64,
    updates: Vec<u32>,
    transitions: Vec<(LifecycleState, LifecycleState)>,
}

#[hooks]
impl Manager {
    #[on_message(MessageType::Status, MessageType::Heartbeat)]
    async fn track(&mut self, _msg: &Message) {}

    #[on_message(|this: &Self| if this.debug { vec![MessageType::Debug] } else { vec![] })]
    fn debug(&mut self, _msg: &Message) {}

    #[on_message(MessageType::Error, params = Self::extra_types)]
    fn mixed(&mut self, _msg: &Message) {}

    #[background_task(interval = |this: &Self| Duration::from_millis(this.period_ms), stop_on_error = true)]
    async fn report(&mut self) {}

    #[background_task(interval = 2.5)]
    fn seconds(&mut self) {}

    #[background_task]
    fn once(&mut self) {}

    #[hook(OnWorkerUpdate)]
    async fn on_update(&mut self, stats: &WorkerStats) {
        self.updates.push(stats.busy);
    }

    #[hook(OnWorkerUpdate, priority = -1)]
    fn first(&mut self, stats: &WorkerStats) {
        self.updates.push(stats.busy * 10);
    }

    #[on_state_change]
    fn changed(&mut self, old: LifecycleState, new: LifecycleState) {
        self.transitions.push((old, new));
    }

    fn extra_types(&self) -> Vec<MessageType> {
        if self.debug {
            vec![MessageType::Debug]
        } else {
            vec![]
        }
    }
}

fn kinds(info: &HookInfo) -> Vec<MessageType> {
    info.params.iter().map(|p| *p.downcast_ref::<MessageType>().unwrap()).collect()
}

#[test]
fn static_params_are_listed_in_order() {
    let m = Manager::default();
    let hooks = m.hooks::<OnMessage>();
    assert_eq!(hooks[1].method, "track");
    assert_eq!(kinds(&hooks[1]), [MessageType::Status, MessageType::Heartbeat]);
    assert_eq!(format!("{:?}", hooks[1].params), "[Status, Heartbeat]");
}

#[test]
fn dynamic_params_see_the_instance_state_when_resolved() {
    let mut m = Manager::default();
    assert!(kinds(&m.hooks::<OnMessage>()[2]).is_empty());
    assert_eq!(kinds(&m.hooks::<OnMessage>()[3]), [MessageType::Error]);
    m.debug = true;
    assert_eq!(kinds(&m.hooks::<OnMessage>()[2]), [MessageType::Debug]);
    assert_eq!(kinds(&m.hooks::<OnMessage>()[3]), [MessageType::Error, MessageType::Debug]);
}

#[test]
fn a_base_hooks_params_are_resolved_against_the_base_instance() {
    let mut m = Manager { debug: true, ..Manager::default() };
    let hooks = m.hooks::<OnMessage>();
    assert_eq!((hooks[0].owner, &*hooks[0].method), ("Bus", "bus_debug"));
    assert!(kinds(&hooks[0]).is_empty(), "Bus::verbose is false whatever Manager::debug is");
    m.bus.verbose = true;
    assert_eq!(kinds(&m.hooks::<OnMessage>()[0]), [MessageType::Debug]);
}

#[test]
fn background_task_params_carry_interval_immediate_and_stop_on_error() {
    let mut m = Manager { period_ms: 250, ..Manager::default() };
    let specs: Vec<TaskSpec> =
        m.hooks::<BackgroundTask>().iter().map(|h| *h.params[0].downcast_ref::<TaskSpec>().unwrap()).collect();
    assert_eq!(
        specs,
        [
            TaskSpec { interval: Some(Duration::from_millis(250)), immediate: true, stop_on_error: true },
            TaskSpec { interval: Some(Duration::from_millis(2500)), immediate: true, stop_on_error: false },
            TaskSpec { interval: None, immediate: true, stop_on_error: false },
        ]
    );
    m.period_ms = 40;
    let spec = *m.hooks::<BackgroundTask>()[0].params[0].downcast_ref::<TaskSpec>().unwrap();
    assert_eq!(spec.interval, Some(Duration::from_millis(40)), "a dynamic interval is read per instance");
}

#[tokio::test]
async fn custom_hook_types_receive_their_typed_argument() {
    let mut m = Manager::default();
    m.run_hooks_with::<OnWorkerUpdate>(&WorkerStats { busy: 3 }).await.unwrap();
    assert_eq!(m.updates, [30, 3]);
    m.run_hooks_reversed_with::<OnWorkerUpdate>(&WorkerStats { busy: 1 }).await.unwrap();
    assert_eq!(m.updates, [30, 3, 1, 10]);
}

#[tokio::test]
async fn state_change_hooks_receive_old_and_new() {
    let mut m = Manager::default();
    let change = StateChange { old: LifecycleState::Created, new: LifecycleState::Initializing };
    m.run_hooks_with::<OnStateChange>(&change).await.unwrap();
    assert_eq!(m.transitions, [(LifecycleState::Created, LifecycleState::Initializing)]);
}

#[tokio::test]
async fn attached_hooks_keep_their_params() {
    let mut m = Manager::default();
    m.attach_hook::<OnMessage>("errors", |_: &mut Manager, _: &Message| {}, [MessageType::Error]).unwrap();
    let last = m.hooks::<OnMessage>().pop().unwrap();
    assert!(last.attached);
    assert_eq!(kinds(&last), [MessageType::Error]);
}

#[test]
fn hook_infos_lists_every_hook_of_every_type() {
    let m = Manager::default();
    let infos = m.hook_infos();
    let count = |t: &str| infos.iter().filter(|h| h.hook_type == t).count();
    assert_eq!(count("OnMessage"), 4);
    assert_eq!(count("BackgroundTask"), 3);
    assert_eq!(count("OnWorkerUpdate"), 2);
    assert_eq!(count("OnStateChange"), 1);
    assert_eq!(infos.len(), 10);
}

#[test]
fn describe_lists_every_hook_without_an_instance() {
    let described = Manager::describe();
    assert_eq!(described.len(), Manager::default().hook_infos().len());
    let find = |m: &str| described.iter().find(|h| h.method == m).unwrap();
    assert_eq!(format!("{:?}", find("track").params), "[Status, Heartbeat]");
    assert!(!find("track").dynamic_params && find("track").is_async);
    assert!(find("debug").dynamic_params && find("debug").params.is_empty());
    assert!(find("report").dynamic_params, "a dynamic interval");
    let seconds = find("seconds").params[0].downcast_ref::<TaskSpec>().copied().unwrap();
    assert_eq!(seconds.interval, Some(Duration::from_millis(2500)));
    assert_eq!((find("first").owner, find("first").priority), ("Manager", -1));
    assert_eq!(find("bus_debug").owner, "Bus");
}
