//! Issue 14, typed messages: message contracts (`#[derive(Message)]`) route by their type, and
//! their handlers and call sites are typed; the untyped `Message` shares the bus with them.

use std::time::Duration;

use hooks_runtime::prelude::*;
use hooks_runtime::{CallError, MessageEvent, Rejection};

/// A command answered with a count.
#[derive(Message, Debug)]
#[message(reply = u32)]
struct Count;

/// A published status (a struct with fields: its name is made a value too).
#[derive(Message, Debug, Clone, PartialEq)]
struct Status {
    worker: u32,
    busy: bool,
}

/// A request whose reply is text.
#[derive(Message, Debug)]
#[message(reply = String)]
struct Echo(String);

/// Work for a queue (an enum contract).
#[derive(Message, Debug, PartialEq)]
enum Job {
    Small(u32),
    Big(u32),
}

/// A contract whose reply is itself a `Result`: a handler's own failure stays apart from it.
#[derive(Message, Debug)]
#[message(reply = Result<u32, String>, name = "parse")]
struct Parse(&'static str);

#[derive(Debug, Clone, Copy, PartialEq)]
enum Kind {
    Heartbeat,
    Count,
}

#[derive(Hooks, Default)]
struct Worker {
    #[hooks(base)]
    service: Service,
    #[hooks(base)]
    bus: MessageBusClient,
    #[hooks(base)]
    commands: CommandHandler,
    #[hooks(base)]
    replies: ReplyClient,
    #[hooks(base)]
    pulls: PullClient,
    seen: Vec<String>,
    busy: u32,
}

#[hooks]
impl Worker {
    // The contract is the argument's type.
    #[on_message]
    fn status(&mut self, status: &Status) {
        self.seen.push(format!("status {} {}", status.worker, status.busy));
        self.busy += u32::from(status.busy);
    }

    // Named in the attribute (a struct with fields), with a dynamic kind beside it: the whole message.
    #[on_message(Status, Kind::Heartbeat)]
    async fn track(&mut self, msg: &Message) {
        let what = if msg.is::<Status>() { "Status".to_owned() } else { format!("{:?}", msg.key()) };
        self.seen.push(format!("track {what}"));
    }

    // The bare reply.
    #[on_command]
    fn count(&mut self, _: &Count) -> u32 {
        self.busy
    }

    // The reply in a `Result`, async; an untyped command of a dynamic kind beside it.
    #[on_request(Echo)]
    async fn echo(&mut self, echo: &Echo) -> Result<String, std::io::Error> {
        Ok(echo.0.to_uppercase())
    }

    #[on_command(Kind::Count)]
    fn count_untyped(&mut self, _msg: &Message) -> Result<u32, std::io::Error> {
        Ok(self.busy)
    }

    #[on_pull_message]
    fn job(&mut self, job: &Job) -> Result<(), String> {
        match job {
            Job::Small(n) => {
                self.seen.push(format!("job {n}"));
                Ok(())
            }
            Job::Big(n) => Err(format!("job {n} is too big")),
        }
    }

    // A reply that is a `Result`, returned as is: the `Err` is the reply's, not a failure.
    #[on_command]
    fn parse(&mut self, p: &Parse) -> Result<u32, String> {
        p.0.parse().map_err(|_| format!("not a number: {}", p.0))
    }
}

async fn seen(h: &Handle<Worker>) -> Vec<String> {
    h.with(|w| std::mem::take(&mut w.seen)).await.unwrap()
}

#[tokio::test]
async fn typed_commands_and_requests_answer_with_the_contracts_reply_type() {
    let runtime = Runtime::new();
    let h = runtime.spawn(Worker::default());
    h.start().await.unwrap();
    assert_eq!(runtime.publish(Status { worker: 1, busy: true }).await, 1);
    let count: u32 = h.command(Count).await.unwrap();
    assert_eq!(count, 1);
    let echo: String = h.request(Echo("hi".into())).await.unwrap();
    assert_eq!(echo, "HI");
    let echo = h.request_with_timeout(Echo("again".into()), Duration::from_secs(5)).await.unwrap();
    assert_eq!(echo, "AGAIN");
    // The untyped form, on the same bus.
    let response = h.command(Message::signal(Kind::Count)).await.unwrap();
    assert_eq!(response.downcast::<u32>().ok(), Some(1));
    h.stop().await.unwrap();
}

#[tokio::test]
async fn a_reply_that_is_a_result_is_the_reply_not_the_handlers_failure() {
    let runtime = Runtime::new();
    let h = runtime.spawn(Worker::default());
    h.start().await.unwrap();
    assert_eq!(h.command(Parse("42")).await.unwrap(), Ok(42));
    assert_eq!(h.command(Parse("x")).await.unwrap(), Err("not a number: x".to_owned()));
    h.stop().await.unwrap();
}

#[tokio::test]
async fn typed_messages_reach_every_handler_of_their_contract_in_hook_order() {
    let runtime = Runtime::new();
    let h = runtime.spawn(Worker::default());
    h.start().await.unwrap();
    h.publish(Status { worker: 7, busy: false }).await.unwrap();
    h.publish(Message::signal(Kind::Heartbeat)).await.unwrap();
    assert_eq!(seen(&h).await, ["status 7 false", "track Status", "track Heartbeat"]);
    h.stop().await.unwrap();
}

#[tokio::test]
async fn typed_work_goes_to_one_puller_and_a_refused_push_hands_the_value_back() {
    let runtime = Runtime::new();
    let refused = runtime.push(Job::Small(0)).await.unwrap_err();
    assert_eq!(refused.reason, Rejection::NoPuller);
    assert_eq!(refused.into_payload::<Job>().ok(), Some(Job::Small(0)), "the value comes back");
    let h = runtime.spawn(Worker::default());
    h.start().await.unwrap();
    runtime.push(Job::Small(1)).await.unwrap();
    runtime.push(Job::Big(2)).await.unwrap();
    h.push(Job::Small(3)).await.unwrap();
    let mut dead = Vec::new();
    while dead.is_empty() {
        tokio::task::yield_now().await;
        dead.extend(runtime.dead_letters());
    }
    let mut handled = seen(&h).await;
    handled.sort(); // the queue and the component's own mailbox are two channels
    assert_eq!(handled, ["job 1", "job 3"]);
    assert_eq!(dead[0].message.payload::<Job>(), Some(&Job::Big(2)));
    h.stop().await.unwrap();
}

#[tokio::test]
async fn a_typed_send_after_stop_hands_the_value_back() {
    let runtime = Runtime::new();
    let h = runtime.spawn(Worker::default());
    h.start().await.unwrap();
    h.publish(Status { worker: 1, busy: true }).await.unwrap();
    let worker = h.stop().await.unwrap();
    assert_eq!(worker.busy, 1, "accepted before the stop: handled");
    let err = h.publish(Status { worker: 2, busy: false }).await.unwrap_err();
    assert_eq!(err.into_payload::<Status>().ok(), Some(Status { worker: 2, busy: false }));
    match h.command(Count).await {
        Err(CallError::Rejected(err)) => assert!(err.into_payload::<Count>().is_ok()),
        other => panic!("{other:?}"),
    }
}

mod a {
    /// Same type name, `Debug` text and stable name as `b::Ping`.
    #[derive(hooks_runtime::Message, Debug)]
    #[message(reply = &'static str)]
    pub(crate) struct Ping;
}

mod b {
    #[derive(hooks_runtime::Message, Debug)]
    #[message(reply = &'static str)]
    pub(crate) struct Ping;
}

#[derive(Hooks, Default)]
struct Pinged {
    #[hooks(base)]
    service: Service,
    #[hooks(base)]
    bus: MessageBusClient,
    #[hooks(base)]
    commands: CommandHandler,
    got: Vec<&'static str>,
}

#[hooks]
impl Pinged {
    #[on_command(a::Ping)]
    fn a(&mut self, _: &a::Ping) -> &'static str {
        "a"
    }

    #[on_message]
    fn a_published(&mut self, _: &a::Ping) {
        self.got.push("a::Ping");
    }

    #[on_message("Ping")]
    fn text(&mut self, _: &Message) {
        self.got.push("\"Ping\"");
    }
}

#[tokio::test]
async fn two_contracts_with_the_same_debug_text_and_name_never_collide() {
    assert_eq!(format!("{:?}", a::Ping), format!("{:?}", b::Ping));
    assert_eq!(<a::Ping as Contract>::NAME, <b::Ping as Contract>::NAME);
    assert_ne!(a::Ping::key(), b::Ping::key());
    let runtime = Runtime::new();
    let h = runtime.spawn(Pinged::default());
    h.start().await.unwrap();
    assert_eq!(h.command(a::Ping).await.unwrap(), "a");
    let err = h.command(b::Ping).await.unwrap_err();
    assert!(matches!(err, CallError::NoHandler { .. }), "{err}");
    assert_eq!(runtime.publish(b::Ping).await, 0, "nobody handles `b::Ping`");
    // Untyped messages whose `Debug` text is the same: a value of the contract's type, a topic.
    assert_eq!(runtime.publish(Message::signal(a::Ping)).await, 0, "a `Debug` key is not the contract");
    assert_eq!(runtime.publish(Message::signal("Ping")).await, 1, "only the topic's handler");
    assert_eq!(runtime.publish(a::Ping).await, 1);
    assert_eq!(h.stop().await.unwrap().got, ["\"Ping\"", "a::Ping"]);
}

#[tokio::test]
async fn a_dynamic_message_whose_payload_does_not_match_is_an_error_naming_both_types() {
    let runtime = Runtime::new();
    let h = runtime.spawn(Worker::default());
    h.start().await.unwrap();
    // An untyped message under the contract's key, with another payload: only by hand.
    let err = h.request(Message::new(Echo::key().clone(), 5u32)).await.unwrap_err();
    let source = std::error::Error::source(&err.errors()[0]).unwrap().to_string();
    assert!(source.contains("carries a `u32`, not the `typed_messages::Echo` the handler takes"), "{source}");
    h.stop().await.unwrap();
}

#[tokio::test]
async fn a_handler_attached_at_run_time_with_a_reply_of_another_type_is_an_error_not_a_panic() {
    let runtime = Runtime::new();
    let h = runtime.spawn(Pinged::default());
    h.start().await.unwrap();
    h.with(|p| {
        let spec = HookSpec::new("late").priority(-1).keys([b::Ping::key().clone()]);
        p.attach_hook_with::<OnCommand, _, _>(spec, |_: &mut Pinged, call: &hooks_runtime::Call| {
            call.respond(hooks_runtime::Response::new(7u8));
        })
    })
    .await
    .unwrap()
    .unwrap();
    let err = h.command(b::Ping).await.unwrap_err();
    assert!(matches!(err, CallError::WrongReply { .. }), "{err}");
    assert_eq!(err.to_string(), "`Pinged` answered Ping with a `u8`, not the `&str` its contract replies with");
    h.stop().await.unwrap();
}

#[test]
fn a_contracts_handlers_list_the_contract_by_its_name() {
    let worker = Worker::default();
    let params: Vec<String> = worker.hooks::<OnMessage>().iter().map(|h| format!("{:?}", h.params)).collect();
    assert_eq!(params, ["[Status]", "[Status, Heartbeat]"]);
    let pulls = worker.hooks::<OnPullMessage>();
    assert_eq!(format!("{:?}", pulls[0].params), "[Job]");
    let commands = worker.hooks::<OnCommand>();
    assert_eq!(format!("{:?}", commands.last().map(|h| &h.params)), "Some([parse])");
}

#[tokio::test]
async fn observers_see_typed_messages_under_their_contracts_name() {
    let runtime = Runtime::new();
    let events = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let sink = events.clone();
    runtime.observe(move |event| {
        if let MessageEvent::Received { kind, message, .. } = event {
            sink.lock().unwrap().push(format!("{kind:?} {}", message.is::<Status>()));
        }
    });
    let h = runtime.spawn(Worker::default());
    h.start().await.unwrap();
    runtime.publish(Status { worker: 1, busy: true }).await;
    h.command(Count).await.unwrap();
    h.stop().await.unwrap();
    assert_eq!(*events.lock().unwrap(), ["Status true", "Count false"]);
}

/// Reaches a `Worker` by name from its own hook, without its handle.
#[derive(Hooks, Default)]
struct Reporter {
    #[hooks(base)]
    service: Service,
    #[hooks(base)]
    bus: MessageBusClient,
    counts: Vec<u32>,
}

#[derive(Message)]
struct Report;

#[hooks]
impl Reporter {
    #[on_message]
    async fn report(&mut self, _: &Report, ctx: &Context) -> Result<(), CallError> {
        let worker = ctx.lookup::<Worker>("worker-1").expect("running");
        worker.publish(Status { worker: 9, busy: true }).await?;
        self.counts.push(worker.command(Count).await?);
        assert!(ctx.lookup::<Worker>("worker-2").is_none(), "no such name");
        assert!(ctx.lookup::<Reporter>("worker-1").is_none(), "not a `Reporter`");
        Ok(())
    }
}

#[tokio::test]
async fn components_reach_each_other_by_name_with_typed_messages() {
    let runtime = Runtime::new();
    runtime.spawn_named("worker-1", Worker::default());
    let reporter = runtime.spawn(Reporter::default());
    runtime.start_all().await.unwrap();
    assert!(runtime.lookup::<Worker>("worker-1").is_some());
    assert!(runtime.lookup::<Reporter>("Reporter").is_some(), "`spawn` names it after its type");
    runtime.publish(Report).await;
    runtime.publish(Report).await;
    assert_eq!(reporter.with(|r| r.counts.clone()).await.unwrap(), [1, 2]);
    let worker = runtime.lookup::<Worker>("worker-1").unwrap();
    worker.stop().await.unwrap();
    assert!(runtime.lookup::<Worker>("worker-1").is_none(), "handed back");
    runtime.stop_all().await.unwrap();
}

/// Crosses processes: payload and reply serialize, the name is the subject (feature `serde`).
#[derive(Message, serde::Serialize, serde::Deserialize, Debug, PartialEq)]
#[message(reply = Vec<u32>, name = "workers.list", serde)]
struct ListWorkers {
    busy_only: bool,
}

#[test]
fn a_serde_contract_round_trips_and_is_registered_under_its_subject() {
    use hooks_runtime::RemoteContract;
    let wire = serde_json::to_string(&ListWorkers { busy_only: true }).unwrap();
    assert_eq!(serde_json::from_str::<ListWorkers>(&wire).unwrap(), ListWorkers { busy_only: true });
    let reply: <ListWorkers as Contract>::Reply = serde_json::from_str("[1,2]").unwrap();
    assert_eq!(reply, [1, 2]);
    assert_eq!(<ListWorkers as RemoteContract>::subject(), "workers.list");
    let registered = hooks_runtime::remote_contracts();
    let info = registered.iter().find(|c| c.name() == "workers.list").expect("registered by the derive");
    assert_eq!(info.type_name(), "typed_messages::ListWorkers");
    assert_eq!(info.key(), ListWorkers::key());
    assert_eq!(registered.len(), 1, "only contracts declared with `serde`: {registered:?}");
}

/// A numbered message, to check order and exactly-once delivery.
#[derive(Message, Debug)]
struct Seq(u64);

#[derive(Hooks, Default)]
struct Sink {
    #[hooks(base)]
    service: Service,
    #[hooks(base)]
    bus: MessageBusClient,
    got: Vec<u64>,
    handled_before_stop: usize,
}

#[hooks]
impl Sink {
    #[on_message]
    async fn seq(&mut self, seq: &Seq) {
        if seq.0 % 61 == 0 {
            tokio::task::yield_now().await;
        }
        self.got.push(seq.0);
    }

    #[on_stop]
    fn stop(&mut self) {
        self.handled_before_stop = self.got.len();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn typed_messages_follow_the_buses_order_and_drain_rules() {
    let runtime = Runtime::new();
    let h = runtime.spawn(Sink::default());
    // Sent before `Running`: buffered, delivered in order once it is.
    for n in 0..10 {
        h.publish(Seq(n)).await.unwrap();
    }
    h.start().await.unwrap();
    let sender = tokio::spawn({
        let h = h.clone();
        async move {
            let mut accepted = Vec::new();
            for n in 10..50_000 {
                match h.publish(Seq(n)).await {
                    Ok(()) => accepted.push(n),
                    Err(refused) => {
                        assert_eq!(refused.into_payload::<Seq>().map(|s| s.0).ok(), Some(n), "handed back");
                        break;
                    }
                }
            }
            accepted
        }
    });
    tokio::time::sleep(Duration::from_millis(5)).await;
    let sink = h.stop().await.unwrap();
    let accepted = sender.await.unwrap();
    assert!(accepted.len() < 49_990, "the stop happened while sending (else this test proves nothing)");
    let expected: Vec<u64> = (0..10).chain(accepted).collect();
    assert_eq!(sink.got, expected, "every accepted message handled once, in order");
    assert_eq!(sink.handled_before_stop, expected.len(), "and before the on_stop hooks ran");
}
