// Every method attribute, each with its keys: `priority`, `timeout` and the attribute's own.
use std::time::Duration;

use hooks_runtime::prelude::*;

hook_type!(pub OnProgress(u32));

mod custom {
    hooks_runtime::hook_type!(pub OnReady);
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Kind {
    Status,
    Debug,
}

#[derive(Hooks, Default)]
#[provides_hooks(OnProgress, custom::OnReady)]
struct Worker {
    #[hooks(base)]
    service: Service,
    #[hooks(base)]
    bus: MessageBusClient,
    #[hooks(base)]
    commands: CommandHandler,
    #[hooks(base)]
    requests: RequestClient,
    #[hooks(base)]
    queue: PullClient,
    debug: bool,
    period: u64,
}

#[hooks]
impl Worker {
    #[on_init(priority = -1, timeout = "2s")]
    async fn init(&mut self) -> Result<(), std::io::Error> {
        Ok(())
    }

    #[on_start(priority = 1, timeout = 0.5)]
    async fn start(&mut self) -> Result<u32, String> {
        Ok(1)
    }

    #[on_stop(priority = 2, timeout = "250ms")]
    async fn stop(&mut self, _reason: &StopReason) {}

    #[on_state_change(priority = 3)]
    fn changed(&mut self, _old: LifecycleState, _new: LifecycleState) {}

    #[on_message(Kind::Status, |this: &Self| if this.debug { vec![Kind::Debug] } else { vec![] }, priority = 4)]
    fn message(&mut self, _msg: &Message) {}

    #[on_message(params = Self::kinds, timeout = "1m")]
    async fn message_from_fn(&mut self, _msg: &Message) -> Result<(), &'static str> {
        Ok(())
    }

    #[on_command(Kind::Status, priority = 5, timeout = "10us")]
    async fn command(&mut self, _msg: &Message) {}

    #[on_request(Kind::Status, priority = 6)]
    fn request(&mut self, _msg: &Message) {}

    #[on_pull_message(Kind::Status, priority = 7, timeout = "100ns")]
    async fn pull(&mut self, _msg: &Message) {}

    #[background_task(interval = "5s", immediate = false, stop_on_error = true, priority = 8, timeout = "1h")]
    async fn tick(&mut self) {}

    #[background_task(interval = 2, priority = 9)]
    fn tock(&mut self) {}

    #[background_task(interval = |this: &Self| Duration::from_secs(this.period))]
    async fn dynamic(&mut self) {}

    #[background_task(interval = Self::maybe_interval)]
    async fn from_fn(&mut self) {}

    #[background_task]
    async fn once(&mut self) {}

    #[hook(OnProgress, priority = 10, timeout = "3s")]
    async fn progress(&mut self, _percent: &u32) {}

    #[hook(custom::OnReady)]
    fn ready(&mut self) {}

    fn kinds(&self) -> Vec<Kind> {
        vec![Kind::Status]
    }

    fn maybe_interval(&self) -> Option<Duration> {
        None
    }
}

fn main() {
    let worker = Worker { period: 3, ..Worker::default() };
    assert_eq!(worker.hooks::<OnInit>()[0].priority, -1);
    assert_eq!(worker.hooks::<OnInit>()[0].timeout, Some(Duration::from_secs(2)));
    assert_eq!(worker.hooks::<OnStart>()[0].timeout, Some(Duration::from_millis(500)));
    assert_eq!(worker.hooks::<OnMessage>().len(), 2);
    assert_eq!(worker.hooks::<BackgroundTask>().len(), 5);
    let tasks = worker.hooks::<BackgroundTask>();
    let tick = tasks.iter().find(|h| h.method == "tick").unwrap();
    assert_eq!(tick.timeout, Some(Duration::from_secs(3600)));
    let task = tick.params[0].downcast_ref::<TaskSpec>().copied().unwrap();
    assert_eq!(task, TaskSpec { interval: Some(Duration::from_secs(5)), immediate: false, stop_on_error: true });
    assert_eq!(worker.hooks::<custom::OnReady>().len(), 1);
}
