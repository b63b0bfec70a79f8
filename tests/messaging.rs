//! DESIGN.md "Messages" and the messaging guarantees: routing, replies, work queues, buffering
//! while starting, no lost message across a stop.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use hooks_runtime::prelude::*;
use hooks_runtime::{CallError, MessageEvent, Response};

#[derive(Debug, Clone, Copy, PartialEq)]
enum Kind {
    Status,
    Heartbeat,
    Debug,
    Shutdown,
    Work,
    Unknown,
}

#[derive(Debug, Clone, PartialEq)]
struct Status {
    worker: u32,
    busy: bool,
}

#[derive(Debug, thiserror::Error)]
#[error("busy")]
struct Busy;

#[derive(Hooks, Default)]
struct Tracker {
    #[hooks(base)]
    service: Service,
    #[hooks(base)]
    bus: MessageBusClient,
    #[hooks(base)]
    commands: CommandHandler,
    #[hooks(base)]
    replies: ReplyClient,
    debug: bool,
    seen: Vec<String>,
}

#[hooks]
impl Tracker {
    #[on_message(Kind::Status, Kind::Heartbeat)]
    async fn track(&mut self, msg: &Message) {
        self.seen.push(format!("track {:?}", msg.kind::<Kind>().unwrap()));
    }

    #[on_message(Kind::Status)]
    fn status(&mut self, status: &Status) {
        self.seen.push(format!("status {} {}", status.worker, status.busy));
    }

    #[on_message(|this: &Self| if this.debug { vec![Kind::Debug] } else { vec![] })]
    fn debug(&mut self, _msg: &Message) {
        self.seen.push("debug".into());
    }

    #[on_command(Kind::Status)]
    fn count(&mut self, _msg: &Message) -> Result<usize, Busy> {
        Ok(self.seen.len())
    }

    #[on_command(Kind::Shutdown)]
    async fn refuse(&mut self, _msg: &Message) -> Result<(), Busy> {
        Err(Busy)
    }

    #[on_request("echo")]
    #[allow(clippy::ptr_arg)] // the payload is a `String`: the handler takes `&String`
    async fn echo(&mut self, text: &String) -> Result<String, Busy> {
        Ok(text.to_uppercase())
    }

    #[on_request("slow")]
    async fn slow(&mut self, _msg: &Message) -> Result<(), Busy> {
        tokio::time::sleep(Duration::from_secs(60)).await;
        Ok(())
    }
}

async fn seen(handle: &Handle<Tracker>) -> Vec<String> {
    handle.with(|t| t.seen.clone()).await.unwrap()
}

#[tokio::test]
async fn every_handler_of_a_type_gets_the_message_in_hook_order() {
    let runtime = Runtime::new();
    let h = runtime.spawn(Tracker::default());
    h.start().await.unwrap();
    h.publish(Message::new(Kind::Status, Status { worker: 7, busy: true })).await.unwrap();
    h.publish(Message::signal(Kind::Heartbeat)).await.unwrap();
    h.publish(Message::signal(Kind::Debug)).await.unwrap();
    assert_eq!(seen(&h).await, ["track Status", "status 7 true", "track Heartbeat"]);
    h.stop().await.unwrap();
}

#[tokio::test]
async fn dynamic_subscriptions_are_resolved_when_the_component_starts() {
    let runtime = Runtime::new();
    let h = runtime.spawn(Tracker { debug: true, ..Tracker::default() });
    h.start().await.unwrap();
    assert_eq!(runtime.publish(Message::signal(Kind::Debug)).await, 1);
    assert_eq!(runtime.publish(Message::signal(Kind::Unknown)).await, 0, "nobody subscribes");
    assert_eq!(seen(&h).await, ["debug"]);
    h.stop().await.unwrap();
}

#[tokio::test]
async fn message_hooks_attached_or_removed_while_running_are_routed_at_once() {
    let runtime = Runtime::new();
    let h = runtime.spawn(Tracker::default());
    h.start().await.unwrap();
    // Priority -1 puts it before every static handler: the positions of the static ones move.
    h.with(|t| {
        let spec = HookSpec::new("late").priority(-1).keys([Kind::Work, Kind::Heartbeat]);
        t.attach_hook_with::<OnMessage, _, _>(spec, |t: &mut Tracker, m: &Message| {
            t.seen.push(format!("late {:?}", m.kind::<Kind>().unwrap()))
        })
    })
    .await
    .unwrap()
    .unwrap();
    assert_eq!(runtime.publish(Message::signal(Kind::Work)).await, 1, "subscribed to the new type");
    h.publish(Message::new(Kind::Status, Status { worker: 1, busy: false })).await.unwrap();
    h.publish(Message::signal(Kind::Heartbeat)).await.unwrap();
    assert_eq!(seen(&h).await, ["late Work", "track Status", "status 1 false", "late Heartbeat", "track Heartbeat"]);
    h.with(|t| {
        t.seen.clear();
        t.remove_hook::<OnMessage>("late")
    })
    .await
    .unwrap()
    .unwrap();
    assert_eq!(
        runtime.publish(Message::signal(Kind::Work)).await,
        0,
        "unsubscribed from the type it no longer handles"
    );
    h.publish(Message::signal(Kind::Heartbeat)).await.unwrap();
    h.publish(Message::new(Kind::Status, Status { worker: 2, busy: true })).await.unwrap();
    assert_eq!(seen(&h).await, ["track Heartbeat", "track Status", "status 2 true"]);
    h.stop().await.unwrap();
}

#[tokio::test]
async fn publish_on_the_runtime_reaches_every_subscriber() {
    let runtime = Runtime::new();
    let a = runtime.spawn(Tracker::default());
    let b = runtime.spawn(Tracker::default());
    let idle = runtime.spawn(Tracker::default());
    a.start().await.unwrap();
    b.start().await.unwrap();
    let delivered = runtime.publish(Message::signal(Kind::Heartbeat)).await;
    assert_eq!(delivered, 2, "a component that is not running has not subscribed yet");
    assert_eq!(seen(&a).await, ["track Heartbeat"]);
    assert_eq!(seen(&b).await, ["track Heartbeat"]);
    idle.start().await.unwrap();
    assert!(seen(&idle).await.is_empty());
    runtime.stop_all().await.unwrap();
}

#[tokio::test]
async fn a_command_returns_the_handlers_value_and_failures_are_error_responses() {
    let runtime = Runtime::new();
    let h = runtime.spawn(Tracker::default());
    h.start().await.unwrap();
    h.publish(Message::signal(Kind::Heartbeat)).await.unwrap();
    let response = h.command(Message::signal(Kind::Status)).await.unwrap();
    assert_eq!(response.downcast::<usize>().unwrap(), 1);

    let err = h.command(Message::signal(Kind::Shutdown)).await.unwrap_err();
    assert!(matches!(err, CallError::Failed { .. }), "{err}");
    assert_eq!(err.errors()[0].method(), "refuse");
    assert_eq!(err.errors()[0].hook_type(), "OnCommand");

    let err = h.command(Message::signal(Kind::Unknown)).await.unwrap_err();
    assert!(matches!(err, CallError::NoHandler { .. }), "{err}");
    assert_eq!(err.to_string(), "`Tracker` has no handler for Unknown");
    h.stop().await.unwrap();
}

#[tokio::test(start_paused = true)]
async fn requests_get_replies_and_time_out() {
    let runtime = Runtime::new();
    let h = runtime.spawn(Tracker::default());
    h.start().await.unwrap();
    let reply = h.request(Message::new("echo", "hi".to_owned())).await.unwrap();
    assert_eq!(reply.get::<String>().map(String::as_str), Some("HI"));

    let err = h.request(Message::new("echo", 42u32)).await.unwrap_err();
    let source = std::error::Error::source(&err.errors()[0]).unwrap().to_string();
    assert!(source.contains("carries a `u32`, not the `alloc::string::String`"), "{source}");

    let err = h.request_with_timeout(Message::signal("slow"), Duration::from_secs(1)).await.unwrap_err();
    assert!(matches!(err, CallError::TimedOut { .. }), "{err}");
}

#[tokio::test]
async fn messages_sent_while_starting_are_delivered_afterwards_in_order() {
    #[derive(Hooks, Default)]
    struct Late {
        #[hooks(base)]
        service: Service,
        #[hooks(base)]
        bus: MessageBusClient,
        started: bool,
        got: Vec<(u32, bool)>,
    }
    #[hooks]
    impl Late {
        #[on_start]
        async fn start(&mut self) {
            tokio::task::yield_now().await;
            self.started = true;
        }
        #[on_message("n")]
        fn n(&mut self, n: &u32) {
            self.got.push((*n, self.started));
        }
    }
    let runtime = Runtime::new();
    let h = runtime.spawn(Late::default());
    for n in 0..10u32 {
        h.publish(Message::new("n", n)).await.unwrap();
    }
    h.start().await.unwrap();
    let late = h.stop().await.unwrap();
    assert_eq!(late.got, (0..10).map(|n| (n, true)).collect::<Vec<_>>());
}

#[tokio::test]
async fn a_send_after_stop_began_fails_and_hands_the_message_back() {
    let runtime = Runtime::new();
    let h = runtime.spawn(Tracker::default());
    h.start().await.unwrap();
    h.publish(Message::signal(Kind::Heartbeat)).await.unwrap();
    let t = h.stop().await.unwrap();
    assert_eq!(t.seen, ["track Heartbeat"], "accepted before stop: handled");
    let err = h.publish(Message::new(Kind::Status, Status { worker: 1, busy: false })).await.unwrap_err();
    assert_eq!(err.message.payload::<Status>(), Some(&Status { worker: 1, busy: false }));
    assert!(matches!(h.command(Message::signal(Kind::Status)).await, Err(CallError::Rejected(_))));
    assert!(h.try_publish(Message::signal(Kind::Status)).is_err());
}

#[derive(Hooks, Default)]
struct Counter {
    #[hooks(base)]
    service: Service,
    #[hooks(base)]
    bus: MessageBusClient,
    #[hooks(base)]
    pull: PullClient,
    handled: Arc<AtomicUsize>,
    stopped_after: usize,
}

#[hooks]
impl Counter {
    #[on_message(Kind::Work)]
    async fn work(&mut self, _msg: &Message) {
        if self.handled.fetch_add(1, Ordering::Relaxed) % 97 == 0 {
            tokio::task::yield_now().await;
        }
    }

    #[on_pull_message(Kind::Work)]
    fn pulled(&mut self, n: &usize) -> Result<(), String> {
        if *n == 13 {
            return Err("unlucky".into());
        }
        self.handled.fetch_add(1, Ordering::Relaxed);
        Ok(())
    }

    #[on_stop]
    fn stop(&mut self) {
        self.stopped_after = self.handled.load(Ordering::Relaxed);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_accepted_message_is_handled_exactly_once_while_stopping() {
    const MESSAGES: usize = 100_000;
    const COMPONENTS: usize = 8;
    let runtime = Runtime::new();
    let counters: Vec<Arc<AtomicUsize>> = (0..COMPONENTS).map(|_| Arc::default()).collect();
    let handles: Vec<_> =
        counters.iter().map(|c| runtime.spawn(Counter { handled: c.clone(), ..Counter::default() })).collect();
    for h in &handles {
        h.start().await.unwrap();
    }
    let senders: Vec<_> = handles
        .iter()
        .map(|h| {
            let h = h.clone();
            tokio::spawn(async move {
                let (mut accepted, mut refused) = (0usize, 0usize);
                for _ in 0..MESSAGES / COMPONENTS {
                    match h.publish(Message::signal(Kind::Work)).await {
                        Ok(()) => accepted += 1,
                        Err(e) => {
                            assert!(e.message.kind::<Kind>() == Some(&Kind::Work), "handed back");
                            refused += 1;
                        }
                    }
                }
                (accepted, refused)
            })
        })
        .collect();
    // Stop each component while its sender is still publishing.
    tokio::time::sleep(Duration::from_millis(5)).await;
    let mut stopped = Vec::new();
    for h in &handles {
        stopped.push(h.stop().await.unwrap());
    }
    let mut total_refused = 0;
    for ((sender, counter), component) in senders.into_iter().zip(&counters).zip(&stopped) {
        let (accepted, refused) = sender.await.unwrap();
        total_refused += refused;
        assert_eq!(counter.load(Ordering::Relaxed), accepted, "every accepted message handled exactly once");
        assert_eq!(component.stopped_after, accepted, "and before the on_stop hooks ran");
    }
    assert!(total_refused > 0, "the stops happened while sending (else this test proves nothing)");
}

#[tokio::test]
async fn each_pushed_message_goes_to_exactly_one_puller_and_failures_become_dead_letters() {
    let runtime = Runtime::new();
    let counters: Vec<Arc<AtomicUsize>> = (0..3).map(|_| Arc::default()).collect();
    let handles: Vec<_> =
        counters.iter().map(|c| runtime.spawn(Counter { handled: c.clone(), ..Counter::default() })).collect();
    for h in &handles {
        h.start().await.unwrap();
    }
    for n in 0..300usize {
        runtime.push(Message::new(Kind::Work, n)).await.unwrap();
    }
    let total = || counters.iter().map(|c| c.load(Ordering::Relaxed)).sum::<usize>();
    let mut dead = Vec::new();
    while total() + dead.len() < 300 {
        tokio::task::yield_now().await;
        dead.extend(runtime.dead_letters());
    }
    runtime.stop_all().await.unwrap();
    assert_eq!(total(), 299, "each message handled once");
    assert_eq!(dead.len(), 1, "the failed one is kept");
    assert_eq!(dead[0].message.payload::<usize>(), Some(&13));
    assert_eq!(dead[0].errors.errors()[0].method(), "pulled");
    assert!(counters.iter().filter(|c| c.load(Ordering::Relaxed) > 0).count() >= 1);
}

#[tokio::test]
async fn observers_see_every_send_and_receive() {
    let runtime = Runtime::new();
    let events = Arc::new(Mutex::new(Vec::new()));
    let sink = events.clone();
    runtime.observe(move |event| {
        let line = match event {
            MessageEvent::Sent { to, kind, .. } => format!("send {kind:?} -> {to}"),
            MessageEvent::Received { by, kind, .. } => format!("recv {kind:?} by {by}"),
            _ => "other".into(),
        };
        sink.lock().unwrap().push(line);
    });
    let h = runtime.spawn_named("tracker-1", Tracker::default());
    h.start().await.unwrap();
    h.publish(Message::signal(Kind::Heartbeat)).await.unwrap();
    let _: Response = h.command(Message::signal(Kind::Status)).await.unwrap();
    h.stop().await.unwrap();
    let events = events.lock().unwrap().clone();
    let at = |e: &str| events.iter().position(|x| x == e).unwrap_or_else(|| panic!("{e} missing: {events:?}"));
    assert_eq!(events.len(), 4);
    assert!(at("send Heartbeat -> tracker-1") < at("recv Heartbeat by tracker-1"));
    assert!(at("send Status -> tracker-1") < at("recv Status by tracker-1"));
    assert!(at("recv Heartbeat by tracker-1") < at("recv Status by tracker-1"), "mailbox order");
}

#[tokio::test]
async fn observers_see_a_send_for_each_subscriber_of_a_broadcast() {
    let runtime = Runtime::new();
    let events = Arc::new(Mutex::new(Vec::new()));
    let sink = events.clone();
    runtime.observe(move |event| {
        if let MessageEvent::Sent { to, kind, .. } = event {
            sink.lock().unwrap().push(format!("send {kind:?} -> {to}"));
        }
    });
    let a = runtime.spawn_named("tracker-a", Tracker::default());
    let b = runtime.spawn_named("tracker-b", Tracker::default());
    runtime.start_all().await.unwrap();
    assert_eq!(runtime.publish(Message::signal(Kind::Heartbeat)).await, 2);
    a.stop().await.unwrap();
    b.stop().await.unwrap();
    let mut events = events.lock().unwrap().clone();
    events.sort();
    assert_eq!(events, ["send Heartbeat -> tracker-a", "send Heartbeat -> tracker-b"]);
}
