//! The NATS transport (feature `nats`): the bus of a [`Runtime`](crate::Runtime) across
//! processes, over a NATS server. See `docs/distributed.md` for the whole story.
//!
//! Subjects, for a contract named `workers.count` and the prefix `demo` ([`Route`]):
//!
//! | route | subject | NATS |
//! |---|---|---|
//! | `on_message` (publish) | `demo.msg.workers.count` | publish/subscribe |
//! | `on_pull_message` (push) | `demo.pull.workers.count` | request/ack to a queue group, or a JetStream work-queue stream |
//! | `on_command` | `demo.cmd.workers.count` | request/reply to a queue group |
//! | `on_request` | `demo.req.workers.count` | request/reply to a queue group |
//!
//! [`NatsTransport::rename`] replaces the contract's name in them.

use std::collections::{HashMap, HashSet};
use std::future::Future;
use std::sync::{Arc, Mutex, PoisonError, Weak};
use std::time::Duration;

use async_nats::jetstream;
use async_nats::{Client, ConnectOptions, HeaderMap};
use futures_util::StreamExt;
use hooks_core::{HookError, Key, MultiError};
use tokio::sync::{mpsc, oneshot};
use tokio_util::task::TaskTracker;

use crate::bus::{
    BoxFuture, Bus, CallError, CallKind, Interest, LocalCall, Message, MessageEvent, Rejection, Response, SendError,
    Transport, TransportError, Work,
};
use crate::{RemoteContract, RemoteContractInfo};

const SENDER: &str = "Hooks-Sender";
/// A publish names its sender in its reply field, `_HOOKS.FROM.{name}`, rather than in a header:
/// a message with headers costs the server and both clients about half the publish throughput.
const FROM: &str = "_HOOKS.FROM.";
const ERROR: &str = "Hooks-Error";
const COMPONENT: &str = "Hooks-Component";

/// How payloads and replies are written on the wire. Every process of a deployment must use the
/// same one.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum Codec {
    /// JSON (`serde_json`): readable with `nats sub`, the default.
    #[default]
    Json,
    /// MessagePack (`rmp-serde`, feature `msgpack`): binary and compact. Structs are written as
    /// maps with their field names, as in JSON, so that a field added with `#[serde(default)]`
    /// or reordered stays readable by the other version; enums by their variant names.
    #[cfg(feature = "msgpack")]
    MessagePack,
}

/// Which of a contract's four subjects (see the module's table and [`NatsTransport::subject`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Route {
    /// `{prefix}.msg.{name}`: published messages (`on_message`).
    Publish,
    /// `{prefix}.pull.{name}`: pushed work (`on_pull_message`).
    Pull,
    /// `{prefix}.cmd.{name}`: commands (`on_command`).
    Command,
    /// `{prefix}.req.{name}`: requests (`on_request`).
    Request,
}

impl Route {
    fn token(self) -> &'static str {
        match self {
            Route::Publish => "msg",
            Route::Pull => "pull",
            Route::Command => "cmd",
            Route::Request => "req",
        }
    }

    fn of(interest: Interest) -> Route {
        match interest {
            Interest::Message => Route::Publish,
            Interest::Pull => Route::Pull,
            Interest::Command => Route::Command,
            Interest::Request => Route::Request,
        }
    }
}

/// The configuration of a NATS transport: where the server is, the prefix of this deployment's
/// subjects, and which contracts' work is durable. Given to
/// [`Runtime::with_transport`](crate::Runtime::with_transport), which connects.
///
/// Every `#[message(serde)]` contract of the program crosses processes (unless kept
/// [`local`](NatsTransport::local)); the others stay in the process. Nothing in a hook changes: a component that handles `Count` handles it from any
/// process of the deployment.
///
/// ```
/// use std::time::Duration;
/// use hooks_runtime::prelude::*;
/// use hooks_runtime::{NatsTransport, Route};
///
/// #[derive(Message, serde::Serialize, serde::Deserialize)]
/// #[message(reply = u32, name = "workers.count", serde)]
/// struct Count;
///
/// #[derive(Message, serde::Serialize, serde::Deserialize)]
/// #[message(serde)]
/// struct Job { id: u64 }
///
/// let nats = NatsTransport::new("nats://127.0.0.1:4222")
///     .prefix("demo")                              // one per deployment
///     .name("controller")                          // who sends, in errors and logs
///     .durable::<Job>()                            // pushed `Job`s go through JetStream
///     .request_timeout(Duration::from_secs(2));
/// assert_eq!(nats.subject::<Count>(Route::Command), "demo.cmd.workers.count");
/// assert_eq!(nats.subject::<Job>(Route::Pull), "demo.pull.Job");
/// let nats = nats.rename::<Count>("legacy.count");
/// assert_eq!(nats.subject::<Count>(Route::Publish), "demo.msg.legacy.count");
/// ```
#[derive(Debug, Clone)]
pub struct NatsTransport {
    url: String,
    prefix: String,
    name: Option<String>,
    renamed: HashMap<&'static str, String>,
    durable: HashSet<&'static str>,
    /// By type name (two contracts may share a contract name; one of them kept here is enough).
    local: HashSet<&'static str>,
    request_timeout: Duration,
    publish_timeout: Duration,
    ack_wait: Duration,
    buffer: usize,
    codec: Codec,
    configure: Option<Configure>,
}

/// The user's amendment of the connection options (see [`NatsTransport::connect_options`]).
#[derive(Clone)]
struct Configure(Arc<dyn Fn(ConnectOptions) -> ConnectOptions + Send + Sync>);

impl std::fmt::Debug for Configure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Configure(..)")
    }
}

impl NatsTransport {
    /// The transport to the server at `url` (`nats://host:port`, or several, comma-separated),
    /// prefix `hooks`.
    pub fn new(url: impl Into<String>) -> Self {
        NatsTransport {
            url: url.into(),
            prefix: "hooks".to_owned(),
            name: None,
            renamed: HashMap::new(),
            durable: HashSet::new(),
            local: HashSet::new(),
            request_timeout: Duration::from_secs(5),
            publish_timeout: Duration::from_secs(5),
            ack_wait: Duration::from_secs(30),
            buffer: 4096,
            codec: Codec::Json,
            configure: None,
        }
    }

    /// Amends the options of both connections with what `async_nats::ConnectOptions` offers
    /// beyond this builder: credentials, TLS, a client certificate, ping interval, ... `configure`
    /// gets the options this transport set (its name, buffer, timeouts, reconnecting forever) and
    /// returns them amended; the publish/subscribe connection is then made `no_echo` whatever it
    /// says. A panic in it is a [`TransportError::Setup`] of `with_transport`, not a crash.
    ///
    /// ```
    /// use hooks_runtime::NatsTransport;
    ///
    /// let nats = NatsTransport::new("nats://127.0.0.1:4222")
    ///     .connect_options(|options| options.user_and_password("worker".into(), "s3cret".into()));
    /// # drop(nats);
    /// ```
    pub fn connect_options(
        mut self,
        configure: impl Fn(ConnectOptions) -> ConnectOptions + Send + Sync + 'static,
    ) -> Self {
        self.configure = Some(Configure(Arc::new(configure)));
        self
    }

    /// The first token(s) of every subject: one prefix per deployment, so that two deployments
    /// share a server without seeing each other's messages. Default `hooks`.
    pub fn prefix(mut self, prefix: impl Into<String>) -> Self {
        self.prefix = prefix.into();
        self
    }

    /// This process's name on the wire: the sender named in decode errors and logs, and the
    /// connection's name on the server. Default `pid-{process id}`.
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }

    /// Sends `M` under `name` instead of its contract name (`{prefix}.msg.{name}`, ...): to talk
    /// to processes that know it by another name.
    pub fn rename<M: RemoteContract>(mut self, name: impl Into<String>) -> Self {
        self.renamed.insert(M::NAME, name.into());
        self
    }

    /// Pushed `M`s go through a JetStream work-queue stream (the server must run JetStream,
    /// `nats-server -js`): stored by the server before `push` returns, acknowledged only once a
    /// puller's handler succeeded, redelivered (after [`ack_wait`](Self::ack_wait)) when the
    /// process handling it dies. At least once: see `docs/distributed.md` on idempotent handlers.
    pub fn durable<M: RemoteContract>(mut self) -> Self {
        self.durable.insert(M::NAME);
        self
    }

    /// Keeps `M` in this process although it is serde-capable: it is not published, pushed or
    /// called across processes, and this process does not listen for it on the server. Use it for
    /// contracts that are an internal matter of one process (the in-process bus is the default for
    /// everything that is not `serde`).
    ///
    /// ```
    /// use hooks_runtime::prelude::*;
    /// use hooks_runtime::NatsTransport;
    ///
    /// #[derive(Message, serde::Serialize, serde::Deserialize)]
    /// #[message(serde)]
    /// struct CacheFlushed;
    ///
    /// let nats = NatsTransport::new("nats://127.0.0.1:4222").local::<CacheFlushed>();
    /// assert!(!nats.carries::<CacheFlushed>());
    /// ```
    pub fn local<M: RemoteContract>(mut self) -> Self {
        self.local.insert(std::any::type_name::<M>());
        self
    }

    /// Whether this transport sends `M` to other processes (every serde contract, unless kept
    /// [`local`](Self::local)).
    pub fn carries<M: RemoteContract>(&self) -> bool {
        !self.local.contains(std::any::type_name::<M>())
    }

    /// How long a command or request waits for its reply, and a push for its acknowledgement
    /// (default 5 s): then `CallError::TimedOut` (or `Rejection::Unavailable`).
    pub fn request_timeout(mut self, timeout: Duration) -> Self {
        self.request_timeout = timeout;
        self
    }

    /// How long a publish may wait for room in the outbound buffer while the server is
    /// unreachable (default 5 s): then it fails with `TransportError::Unavailable`.
    pub fn publish_timeout(mut self, timeout: Duration) -> Self {
        self.publish_timeout = timeout;
        self
    }

    /// How many outbound messages are buffered while the server is unreachable (default 4096):
    /// sent on reconnection. A publish past it waits, up to the publish timeout.
    pub fn buffer(mut self, messages: usize) -> Self {
        self.buffer = messages.max(1);
        self
    }

    /// How long JetStream waits for a durable message's acknowledgement before it redelivers it
    /// to another puller (default 30 s): longer than the slowest handler.
    pub fn ack_wait(mut self, wait: Duration) -> Self {
        self.ack_wait = wait;
        self
    }

    /// The codec of payloads and replies (default [`Codec::Json`]).
    pub fn codec(mut self, codec: Codec) -> Self {
        self.codec = codec;
        self
    }

    /// The subject `M` is sent under on `route`.
    pub fn subject<M: RemoteContract>(&self, route: Route) -> String {
        self.subject_of(M::NAME, route)
    }

    fn subject_of(&self, name: &'static str, route: Route) -> String {
        let name = self.renamed.get(name).map_or(name, String::as_str);
        format!("{}.{}.{}", self.prefix, route.token(), name)
    }

    /// The JetStream stream of a durable contract.
    fn stream_of(&self, name: &'static str) -> String {
        let name = self.renamed.get(name).map_or(name, String::as_str);
        subject_token(&format!("HOOKS_{}_{}", self.prefix, name))
    }

    /// Connects, checks the contracts, makes the durable streams, and starts the task that
    /// follows the bus's interests.
    pub(crate) async fn start(self, bus: Weak<Bus>) -> Result<Arc<dyn Transport>, TransportError> {
        let name = self.name.clone().unwrap_or_else(|| format!("pid-{}", std::process::id()));
        let client = self.connect(&name, true).await?;
        // Publish/subscribe on a connection of its own that the server never echoes to: this
        // process delivered its publishes itself, and no header is needed to skip them.
        let pubsub = self.connect(&format!("{name} (publish/subscribe)"), false).await?;
        let mut by_name: HashMap<&'static str, &'static RemoteContractInfo> = HashMap::new();
        let mut carried = crate::bus::KeyMap::default();
        for info in crate::remote_contracts() {
            if self.local.contains(info.type_name()) {
                if self.durable.contains(info.name()) {
                    return Err(TransportError::Setup(format!(
                        "`{}` is both `local` and `durable`: durable work crosses processes; choose one",
                        info.type_name()
                    )));
                }
                continue;
            }
            if let Some(other) = by_name.insert(info.name(), info) {
                return Err(TransportError::Setup(format!(
                    "two contracts are named `{}` (`{}` and `{}`): they would share a subject; rename one",
                    info.name(),
                    other.type_name(),
                    info.type_name()
                )));
            }
            let durable = self.durable.contains(info.name());
            let subjects = [Route::Publish, Route::Pull, Route::Command, Route::Request]
                .map(|route| self.subject_of(info.name(), route));
            let publish = async_nats::Subject::from(subjects[0].as_str());
            carried.insert(info.key().clone(), Arc::new(Carried { info, subjects, publish, durable }));
        }
        // JetStream's API calls and a durable push's storage wait as long as a call would.
        let jetstream = (!self.durable.is_empty()).then(|| {
            let mut js = jetstream::new(client.clone());
            js.set_timeout(self.request_timeout);
            js
        });
        if let Some(js) = &jetstream {
            for carried in carried.values().filter(|c| c.durable) {
                let config = jetstream::stream::Config {
                    name: self.stream_of(carried.info.name()),
                    subjects: vec![carried.subject(Route::Pull).to_owned()],
                    retention: jetstream::stream::RetentionPolicy::WorkQueue,
                    storage: jetstream::stream::StorageType::File,
                    ..Default::default()
                };
                js.get_or_create_stream(config).await.map_err(|e| {
                    TransportError::Setup(format!(
                        "cannot make the JetStream stream of `{}` (does the server run JetStream, `nats-server -js`?): {e}",
                        carried.info.name()
                    ))
                })?;
            }
        }
        let max_payload = max_payload(&client);
        let shared = Arc::new(Shared {
            client,
            pubsub,
            jetstream,
            bus,
            carried,
            from: async_nats::Subject::from(format!("{FROM}{}", subject_token(&name))),
            sender: name,
            request_timeout: self.request_timeout,
            publish_timeout: self.publish_timeout,
            ack_wait: self.ack_wait,
            codec: self.codec,
            max_payload,
            streams: self.durable.iter().map(|name| (*name, self.stream_of(name))).collect(),
            tasks: TaskTracker::new(),
        });
        let probe = Probe::new(&shared.client, shared.request_timeout).await?;
        let (control, rx) = mpsc::unbounded_channel();
        tokio::spawn(follow(shared.clone(), probe, rx));
        Ok(Arc::new(Bridge { shared, control }))
    }

    /// A connection to the server, named `name`; with `echo` off, the server does not send it what
    /// it published itself.
    async fn connect(&self, name: &str, echo: bool) -> Result<Client, TransportError> {
        let mut options = async_nats::ConnectOptions::new()
            .name(name)
            .client_capacity(self.buffer)
            .request_timeout(Some(self.request_timeout))
            .connection_timeout(Duration::from_secs(5))
            .max_reconnects(None::<usize>)
            .event_callback(|event| async move { tracing::info!(%event, "nats") });
        if let Some(Configure(configure)) = &self.configure {
            options =
                std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| configure(options))).map_err(|panic| {
                    TransportError::Setup(format!(
                        "the connect_options closure panicked: {}",
                        hooks_core::__private::panic_message(&*panic)
                    ))
                })?;
        }
        if !echo {
            options = options.no_echo();
        }
        options
            .connect(self.url.as_str())
            .await
            .map_err(|e| TransportError::Setup(format!("cannot connect to {}: {e}", self.url)))
    }
}

/// The largest payload the server takes, as it said when the client connected.
fn max_payload(client: &Client) -> usize {
    match client.server_info().max_payload {
        0 => usize::MAX,
        max => max,
    }
}

/// `name` as one subject token: what is not a letter, a digit, `-` or `_` becomes `_`.
fn subject_token(name: &str) -> String {
    let token: String =
        name.chars().map(|c| if c.is_ascii_alphanumeric() || c == '-' || c == '_' { c } else { '_' }).collect();
    if token.is_empty() {
        "_".to_owned()
    } else {
        token
    }
}

/// What a contract is on the wire: its codec, subjects and whether its work is durable.
struct Carried {
    info: &'static RemoteContractInfo,
    /// By [`Route`], in its declaration order.
    subjects: [String; 4],
    /// `subjects[0]`, ready to send (cloned without allocating).
    publish: async_nats::Subject,
    durable: bool,
}

impl Carried {
    fn subject(&self, route: Route) -> &str {
        let i = match route {
            Route::Publish => 0,
            Route::Pull => 1,
            Route::Command => 2,
            Route::Request => 3,
        };
        &self.subjects[i]
    }
}

/// How a contract's payload and reply are encoded: functions of its types, made by
/// `#[message(serde)]` (through `RemoteContractInfo::of`).
#[derive(Clone, Copy)]
pub(crate) struct ContractCodec {
    encode: fn(&Message, Codec) -> Result<Vec<u8>, String>,
    decode: fn(&[u8], Codec) -> Result<Message, String>,
    encode_reply: fn(Response, Codec) -> Result<Vec<u8>, String>,
    decode_reply: fn(&[u8], Codec) -> Result<Response, String>,
}

impl ContractCodec {
    pub(crate) const fn of<M: RemoteContract>() -> Self {
        ContractCodec {
            encode: encode::<M>,
            decode: decode::<M>,
            encode_reply: encode_reply::<M>,
            decode_reply: decode_reply::<M>,
        }
    }
}

fn to_bytes<T: serde::Serialize>(value: &T, codec: Codec) -> Result<Vec<u8>, String> {
    match codec {
        Codec::Json => serde_json::to_vec(value).map_err(|e| e.to_string()),
        #[cfg(feature = "msgpack")]
        Codec::MessagePack => rmp_serde::to_vec_named(value).map_err(|e| e.to_string()),
    }
}

fn from_bytes<T: serde::de::DeserializeOwned>(bytes: &[u8], codec: Codec) -> Result<T, String> {
    match codec {
        Codec::Json => serde_json::from_slice(bytes).map_err(|e| e.to_string()),
        #[cfg(feature = "msgpack")]
        Codec::MessagePack => {
            // As deep as serde_json reads (128): rmp-serde's own limit (1024) overflows a thread's
            // stack on nested enums before it is reached, and a payload is hostile input.
            let mut reader = rmp_serde::Deserializer::from_read_ref(bytes);
            reader.set_max_depth(128);
            T::deserialize(&mut reader).map_err(|e| e.to_string())
        }
    }
}

fn encode<M: RemoteContract>(message: &Message, codec: Codec) -> Result<Vec<u8>, String> {
    let value =
        message.payload::<M>().ok_or_else(|| format!("its payload is not a `{}`", std::any::type_name::<M>()))?;
    to_bytes(value, codec)
}

fn decode<M: RemoteContract>(bytes: &[u8], codec: Codec) -> Result<Message, String> {
    from_bytes::<M>(bytes, codec).map(Message::typed)
}

fn encode_reply<M: RemoteContract>(response: Response, codec: Codec) -> Result<Vec<u8>, String> {
    match response.downcast::<M::Reply>() {
        Ok(reply) => to_bytes(&reply, codec),
        Err(response) => Err(format!(
            "the handler answered with a `{}`, not the `{}` the contract replies with",
            response.type_name(),
            std::any::type_name::<M::Reply>()
        )),
    }
}

fn decode_reply<M: RemoteContract>(bytes: &[u8], codec: Codec) -> Result<Response, String> {
    from_bytes::<M::Reply>(bytes, codec).map(Response::new)
}

/// What the bridge and its tasks share.
struct Shared {
    /// Calls, pushes, replies and acknowledgements.
    client: Client,
    /// Publishes and their subscriptions (`no_echo`).
    pubsub: Client,
    jetstream: Option<jetstream::Context>,
    bus: Weak<Bus>,
    carried: crate::bus::KeyMap<Arc<Carried>>,
    sender: String,
    /// `_HOOKS.FROM.{sender}`: the reply field of this process's publishes.
    from: async_nats::Subject,
    request_timeout: Duration,
    publish_timeout: Duration,
    ack_wait: Duration,
    codec: Codec,
    /// The server's `max_payload` when this process connected: larger payloads are refused
    /// before they are sent.
    max_payload: usize,
    streams: HashMap<&'static str, String>,
    /// Replies and acknowledgements on their way: `flush` waits for them.
    tasks: TaskTracker,
}

/// The transport as the bus holds it.
struct Bridge {
    shared: Arc<Shared>,
    control: mpsc::UnboundedSender<Control>,
}

enum Control {
    Interest(Interest, Key, bool),
    Ready(oneshot::Sender<()>),
}

impl Shared {
    fn headers(&self) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(SENDER, self.sender.as_str());
        headers
    }

    fn carried(&self, key: &Key) -> Option<&Arc<Carried>> {
        self.carried.get(key)
    }

    fn encode(&self, carried: &Carried, message: &Message) -> Result<Vec<u8>, TransportError> {
        let payload = (carried.info.codec.encode)(message, self.codec)
            .map_err(|reason| TransportError::Encode { contract: carried.info.name(), reason })?;
        self.fits(carried, payload.len())?;
        Ok(payload)
    }

    /// Whether `size` encoded bytes of `carried` fit the server's `max_payload`.
    fn fits(&self, carried: &Carried, size: usize) -> Result<(), TransportError> {
        if size > self.max_payload {
            return Err(TransportError::TooLarge { contract: carried.info.name(), size, max: self.max_payload });
        }
        Ok(())
    }

    /// Sends what both connections buffered.
    async fn flush(&self) -> Result<(), async_nats::client::FlushError> {
        let (calls, publishes) = tokio::join!(self.client.flush(), self.pubsub.flush());
        calls.and(publishes)
    }

    /// Decodes what arrived; an error names the contract and the sender, and is told to the
    /// observers and the log.
    fn decode(&self, carried: &Carried, message: &async_nats::Message) -> Result<Message, TransportError> {
        (carried.info.codec.decode)(&message.payload, self.codec).map_err(|reason| {
            let sender = sender_of(message).to_owned();
            tracing::error!(contract = carried.info.name(), subject = %message.subject, %sender, %reason, "a message from another process does not decode: not delivered");
            if let Some(bus) = self.bus.upgrade() {
                bus.notify(|| MessageEvent::Undecodable {
                    contract: carried.info.name(),
                    subject: message.subject.to_string(),
                    sender: sender.clone(),
                    error: reason.clone(),
                });
            }
            TransportError::Decode { contract: carried.info.name(), sender, reason }
        })
    }

    /// Answers a request with an error of kind `kind`, from `component`, `body` its details.
    async fn reply_error(&self, reply: Option<async_nats::Subject>, kind: &str, component: &str, body: Vec<u8>) {
        let Some(reply) = reply else { return };
        let mut headers = self.headers();
        headers.insert(ERROR, kind);
        headers.insert(COMPONENT, component);
        if let Err(error) = self.client.publish_with_headers(reply, headers, body.into()).await {
            tracing::warn!(%error, "an error reply was not sent");
        }
    }
}

fn header<'m>(message: &'m async_nats::Message, name: &str) -> Option<&'m str> {
    message.headers.as_ref().and_then(|h| h.get(name)).map(|v| v.as_str())
}

/// Who sent `message`: the name in a publish's reply field or the `Hooks-Sender` header; `?` for
/// a sender that gives neither (not a hooks process).
fn sender_of(message: &async_nats::Message) -> &str {
    let from = message.reply.as_ref().and_then(|reply| reply.as_str().strip_prefix(FROM));
    from.or_else(|| header(message, SENDER)).unwrap_or("?")
}

impl Transport for Bridge {
    fn carries(&self, key: &Key) -> bool {
        self.shared.carried.contains_key(key)
    }

    fn interest(&self, interest: Interest, key: &Key, on: bool) {
        // The task ends only when the bridge is dropped.
        let _ = self.control.send(Control::Interest(interest, key.clone(), on));
    }

    fn ready(&self) -> BoxFuture<'_, ()> {
        Box::pin(async move {
            let (tx, rx) = oneshot::channel();
            if self.control.send(Control::Ready(tx)).is_ok() {
                // During an outage the subscriptions wait for the server (they are made once it is
                // back): a start does not wait for that longer than a call would.
                let budget = self.shared.request_timeout;
                if tokio::time::timeout(budget, rx).await.is_err() {
                    tracing::warn!(
                        ?budget,
                        "the server did not confirm this process's subscriptions in time: messages from other processes may miss them until it does"
                    );
                }
            }
        })
    }

    fn publish(&self, message: Message) -> BoxFuture<'_, Result<(), TransportError>> {
        Box::pin(async move {
            let shared = &self.shared;
            let Some(carried) = shared.carried(message.key()) else { return Ok(()) };
            let payload = shared.encode(carried, &message)?;
            let subject = carried.subject(Route::Publish);
            let mut publish = std::pin::pin!(shared.pubsub.publish_with_reply(
                carried.publish.clone(),
                shared.from.clone(),
                payload.into()
            ));
            // Polled once first: with room in the outbound buffer (the common case) it is done, and
            // no timer is armed; only a full buffer (an outage) waits, up to the publish budget.
            let first = std::future::poll_fn(|cx| std::task::Poll::Ready(publish.as_mut().poll(cx))).await;
            let sent = match first {
                std::task::Poll::Ready(sent) => Ok(sent),
                std::task::Poll::Pending => tokio::time::timeout(shared.publish_timeout, publish).await,
            };
            match sent {
                Ok(Ok(())) => Ok(()),
                Ok(Err(e)) => Err(TransportError::Unavailable { subject: subject.to_owned(), reason: e.to_string() }),
                Err(_) => Err(TransportError::Unavailable {
                    subject: subject.to_owned(),
                    reason: format!(
                        "the outbound buffer stayed full for {:?} ({:?})",
                        shared.publish_timeout,
                        shared.pubsub.connection_state()
                    ),
                }),
            }
        })
    }

    fn push(&self, message: Message) -> BoxFuture<'_, Result<(), SendError>> {
        Box::pin(async move {
            let shared = &self.shared;
            let Some(carried) = shared.carried(message.key()).cloned() else {
                return Err(SendError { component: "nats".into(), message, reason: Rejection::NoPuller });
            };
            let subject = carried.subject(Route::Pull).to_owned();
            let refused = |message, reason, why: &dyn std::fmt::Display| {
                tracing::warn!(contract = carried.info.name(), %subject, %why, "push refused");
                SendError { component: Arc::from(subject.as_str()), message, reason }
            };
            let payload = match shared.encode(&carried, &message) {
                Ok(payload) => payload,
                Err(error) => return Err(refused(message, Rejection::Unavailable, &error)),
            };
            if carried.durable {
                let Some(js) = &shared.jetstream else {
                    return Err(refused(message, Rejection::Unavailable, &"no JetStream context"));
                };
                let stored = tokio::time::timeout(shared.request_timeout, async {
                    js.publish_with_headers(subject.clone(), shared.headers(), payload.into())
                        .await
                        .map_err(|e| e.to_string())?
                        .await
                        .map_err(|e| e.to_string())
                })
                .await;
                return match stored {
                    Ok(Ok(_ack)) => Ok(()),
                    Ok(Err(why)) => Err(refused(message, Rejection::Unavailable, &why)),
                    Err(_) => {
                        Err(refused(message, Rejection::Unavailable, &"no acknowledgement from JetStream in time"))
                    }
                };
            }
            let request = async_nats::Request::new()
                .headers(shared.headers())
                .payload(payload.into())
                .timeout(Some(shared.request_timeout));
            match shared.client.send_request(subject.clone(), request).await {
                Ok(reply) => match header(&reply, ERROR) {
                    None => Ok(()),
                    Some(_) => {
                        let why = String::from_utf8_lossy(&reply.payload).into_owned();
                        Err(refused(message, Rejection::NoPuller, &why))
                    }
                },
                Err(e) if e.kind() == async_nats::RequestErrorKind::NoResponders => {
                    Err(refused(message, Rejection::NoPuller, &"no process pulls it"))
                }
                Err(e) => Err(refused(message, Rejection::Unavailable, &e)),
            }
        })
    }

    fn call(&self, kind: CallKind, message: Message) -> BoxFuture<'_, Result<(Arc<str>, Response), CallError>> {
        Box::pin(async move {
            let shared = &self.shared;
            let key = message.key().clone();
            let Some(carried) = shared.carried(&key).cloned() else {
                return Err(CallError::NoHandler { component: "nats".into(), kind: key });
            };
            let route = if kind == CallKind::Command { Route::Command } else { Route::Request };
            let subject = carried.subject(route).to_owned();
            let payload = shared.encode(&carried, &message).map_err(CallError::Transport)?;
            let request = async_nats::Request::new()
                .headers(shared.headers())
                .payload(payload.into())
                .timeout(Some(shared.request_timeout));
            let reply = match shared.client.send_request(subject.clone(), request).await {
                Ok(reply) => reply,
                Err(e) => {
                    return Err(match e.kind() {
                        async_nats::RequestErrorKind::NoResponders => {
                            CallError::NoHandler { component: Arc::from(subject.as_str()), kind: key }
                        }
                        async_nats::RequestErrorKind::TimedOut => CallError::TimedOut {
                            component: Arc::from(subject.as_str()),
                            kind: key,
                            timeout: shared.request_timeout,
                        },
                        async_nats::RequestErrorKind::Other => {
                            CallError::Transport(TransportError::Unavailable { subject, reason: e.to_string() })
                        }
                    })
                }
            };
            let component: Arc<str> = Arc::from(header(&reply, COMPONENT).unwrap_or(subject.as_str()));
            match header(&reply, ERROR) {
                None => (carried.info.codec.decode_reply)(&reply.payload, shared.codec)
                    .map(|response| (component.clone(), response))
                    .map_err(|reason| {
                        CallError::Transport(TransportError::Decode {
                            contract: carried.info.name(),
                            sender: component.to_string(),
                            reason,
                        })
                    }),
                Some(error) => Err(remote_error(error, component, key, message, &reply.payload, shared)),
            }
        })
    }

    fn flush(&self) -> BoxFuture<'_, Result<(), TransportError>> {
        Box::pin(async move {
            let shared = &self.shared;
            let flushed = tokio::time::timeout(shared.request_timeout, async {
                shared.tasks.close();
                shared.tasks.wait().await;
                shared.flush().await.map_err(|e| e.to_string())
            })
            .await;
            shared.tasks.reopen();
            let reason = match flushed {
                Ok(Ok(())) => return Ok(()),
                Ok(Err(reason)) => reason,
                Err(_) => format!(
                    "replies and publishes not sent within {:?} ({:?})",
                    shared.request_timeout,
                    shared.client.connection_state()
                ),
            };
            Err(TransportError::Unavailable { subject: "(flush)".to_owned(), reason })
        })
    }
}

/// A hook failure as it crosses the wire.
#[derive(serde::Serialize, serde::Deserialize)]
struct WireHookError {
    owner: String,
    method: String,
    hook_type: String,
    panicked: bool,
    message: String,
}

/// An error answered by another process's hook, as this process sees it.
#[derive(Debug)]
struct RemoteHookError(String);

impl std::fmt::Display for RemoteHookError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for RemoteHookError {}

/// A name of another process's hook, kept for this process's life: each distinct name once,
/// up to a bound (then `"(remote)"`), so that a peer cannot grow this process's memory.
fn intern(name: &str) -> &'static str {
    static NAMES: Mutex<Option<HashSet<&'static str>>> = Mutex::new(None);
    let mut names = NAMES.lock().unwrap_or_else(PoisonError::into_inner);
    let names = names.get_or_insert_with(HashSet::new);
    if let Some(known) = names.get(name) {
        return known;
    }
    // What another process sends is not trusted: a bounded number of short names is kept.
    if names.len() >= 1024 || name.len() > 256 {
        return "(remote)";
    }
    let leaked: &'static str = Box::leak(name.to_owned().into_boxed_str());
    names.insert(leaked);
    leaked
}

fn wire_errors(errors: &MultiError) -> Vec<u8> {
    let wire: Vec<WireHookError> = errors
        .errors()
        .iter()
        .map(|e| {
            let (panicked, message) = match e {
                HookError::Panicked { message, .. } => (true, message.clone()),
                HookError::Failed { source, .. } => (false, source.to_string()),
                other => (false, other.to_string()),
            };
            WireHookError {
                owner: e.owner().to_owned(),
                method: e.method().to_owned(),
                hook_type: e.hook_type().to_owned(),
                panicked,
                message,
            }
        })
        .collect();
    serde_json::to_vec(&wire).unwrap_or_default()
}

/// The `CallError` an error reply stands for: the same kind as in the process that answered.
fn remote_error(
    kind: &str,
    component: Arc<str>,
    key: Key,
    message: Message,
    body: &[u8],
    shared: &Shared,
) -> CallError {
    let text = || String::from_utf8_lossy(body).into_owned();
    match kind {
        "no-handler" => CallError::NoHandler { component, kind: key },
        "reentrant" => CallError::Reentrant { component, kind: key },
        "rejected" => CallError::Rejected(SendError { component, message, reason: Rejection::Stopped }),
        "timed-out" => CallError::TimedOut { component, kind: key, timeout: shared.request_timeout },
        "failed" => match serde_json::from_slice::<Vec<WireHookError>>(body) {
            Ok(wire) => {
                let mut errors = MultiError::default();
                for e in wire {
                    let (owner, method, hook_type) = (intern(&e.owner), e.method.into(), intern(&e.hook_type));
                    errors.push(if e.panicked {
                        HookError::Panicked { owner, method, hook_type, message: e.message }
                    } else {
                        HookError::Failed { owner, method, hook_type, source: Arc::new(RemoteHookError(e.message)) }
                    });
                }
                CallError::Failed { component, kind: key, errors }
            }
            Err(_) => CallError::Transport(TransportError::Remote { component, reason: text() }),
        },
        "decode" => CallError::Transport(TransportError::Decode {
            contract: shared.carried(&key).map_or("?", |c| c.info.name()),
            sender: shared.sender.clone(),
            reason: text(),
        }),
        _ => CallError::Transport(TransportError::Remote { component, reason: text() }),
    }
}

/// The kind, component and body of the error reply for `error`.
fn wire_call_error(error: &CallError) -> (&'static str, String, Vec<u8>) {
    match error {
        CallError::NoHandler { component, .. } => ("no-handler", component.to_string(), Vec::new()),
        CallError::Failed { component, errors, .. } => ("failed", component.to_string(), wire_errors(errors)),
        CallError::Rejected(refused) => ("rejected", refused.component.to_string(), refused.to_string().into_bytes()),
        CallError::Reentrant { component, .. } => ("reentrant", component.to_string(), Vec::new()),
        CallError::TimedOut { component, .. } => ("timed-out", component.to_string(), Vec::new()),
        other => ("other", "?".to_owned(), other.to_string().into_bytes()),
    }
}

/// How `ready` learns that the server has taken in everything both connections sent before.
///
/// `Client::flush` only empties the socket's buffer: a subscription flushed may still be on its
/// way into the server while another connection's publish is routed past it. A server handles each
/// connection's commands in order, so a probe published on a connection after its subscriptions
/// comes back only once they are in effect. The probe's subject is an inbox of the calls
/// connection, which the server echoes to (the publish/subscribe connection's probe reaches it as
/// any other connection's would).
struct Probe {
    subject: async_nats::Subject,
    sub: async_nats::Subscriber,
    /// The token of the last round; a late answer to an earlier round is skipped.
    round: u64,
}

impl Probe {
    /// Subscribes the probe on `client` and waits until the server has it: a probe of the other
    /// connection sent before would be lost (and its `ready` wait out its budget).
    async fn new(client: &Client, budget: Duration) -> Result<Self, TransportError> {
        let setup =
            |what: &str, e: &dyn std::fmt::Display| TransportError::Setup(format!("readiness probe: {what}: {e}"));
        let subject = async_nats::Subject::from(client.new_inbox());
        let mut sub = client.subscribe(subject.clone()).await.map_err(|e| setup("cannot subscribe", &e))?;
        // Its own connection's publish comes back only after the subscription is in effect.
        client.publish(subject.clone(), "0".into()).await.map_err(|e| setup("cannot publish", &e))?;
        client.flush().await.map_err(|e| setup("cannot flush", &e))?;
        match tokio::time::timeout(budget, sub.next()).await {
            Ok(Some(_)) => Ok(Self { subject, sub, round: 0 }),
            Ok(None) => Err(setup("subscription", &"ended")),
            Err(_) => Err(setup("no answer from the server within", &format!("{budget:?}"))),
        }
    }

    /// Publishes a probe on both connections and waits (up to the request timeout) until both
    /// came back.
    async fn confirm(&mut self, shared: &Shared) -> Result<(), String> {
        self.round += 1;
        let token = self.round.to_string().into_bytes();
        let (subject, sub) = (&self.subject, &mut self.sub);
        let round_trip = async {
            for client in [&shared.client, &shared.pubsub] {
                client.publish(subject.clone(), token.clone().into()).await.map_err(|e| e.to_string())?;
            }
            shared.flush().await.map_err(|e| e.to_string())?;
            let mut back = 0;
            while back < 2 {
                match sub.next().await {
                    Some(answer) if answer.payload == token.as_slice() => back += 1,
                    Some(_) => {}
                    None => return Err("the probe's subscription ended".to_owned()),
                }
            }
            Ok(())
        };
        tokio::time::timeout(shared.request_timeout, round_trip)
            .await
            .unwrap_or_else(|_| Err(format!("no answer from the server within {:?}", shared.request_timeout)))
    }
}

/// The task that follows the bus's interests: subscribes when the process gains its first
/// handler of a carried contract, unsubscribes when it loses the last; answers `ready` once
/// everything asked before is in effect on the server.
async fn follow(shared: Arc<Shared>, mut probe: Probe, mut control: mpsc::UnboundedReceiver<Control>) {
    // A listener ends (and unsubscribes) when its sender is dropped.
    let mut listening: HashMap<(Interest, Key), (oneshot::Sender<()>, tokio::task::JoinHandle<()>)> = HashMap::new();
    // Whether subscriptions changed since the server last confirmed them: a `ready` with nothing
    // new (a component whose contracts others already listen for) answers at once.
    let mut unconfirmed = false;
    while let Some(next) = control.recv().await {
        match next {
            Control::Interest(interest, key, false) => {
                if let Some((stop, listener)) = listening.remove(&(interest, key)) {
                    unconfirmed = true;
                    drop(stop);
                    // Unsubscribed before a later `ready` answers (it cannot wait long: what it
                    // hands in is refused once the component stopped).
                    if tokio::time::timeout(Duration::from_secs(5), listener).await.is_err() {
                        tracing::warn!(?interest, "a listener did not end within 5 s");
                    }
                }
            }
            Control::Interest(interest, key, true) => {
                let Some(carried) = shared.carried(&key).cloned() else { continue };
                unconfirmed = true;
                let (stop, stopped) = oneshot::channel();
                match listen(&shared, interest, carried.clone(), stopped).await {
                    Ok(listener) => {
                        listening.insert((interest, key), (stop, listener));
                    }
                    Err(error) => {
                        tracing::error!(contract = carried.info.name(), ?interest, %error, "cannot listen on the transport: this process does not get these messages from others");
                    }
                }
            }
            Control::Ready(done) => {
                if unconfirmed {
                    match probe.confirm(&shared).await {
                        Ok(()) => unconfirmed = false,
                        Err(error) => tracing::warn!(%error, "cannot confirm the transport's subscriptions"),
                    }
                }
                let _ = done.send(());
            }
        }
    }
}

/// Subscribes for `interest` in `carried` and spawns the task that hands what arrives to the bus.
async fn listen(
    shared: &Arc<Shared>,
    interest: Interest,
    carried: Arc<Carried>,
    stopped: oneshot::Receiver<()>,
) -> Result<tokio::task::JoinHandle<()>, String> {
    let subject = carried.subject(Route::of(interest)).to_owned();
    let shared = shared.clone();
    Ok(match interest {
        Interest::Message => {
            let sub = shared.pubsub.subscribe(subject).await.map_err(|e| e.to_string())?;
            tokio::spawn(on_published(shared, carried, sub, stopped))
        }
        Interest::Pull if carried.durable => {
            // Made now when the server answers; during an outage the listener keeps trying (the
            // stream keeps the work meanwhile).
            let first = durable_messages(&shared, &carried).await;
            tokio::spawn(on_durable(shared, carried, first, stopped))
        }
        Interest::Pull => {
            let group = format!("{subject}.pullers");
            let sub = shared.client.queue_subscribe(subject, group).await.map_err(|e| e.to_string())?;
            tokio::spawn(on_pushed(shared, carried, sub, stopped))
        }
        Interest::Command | Interest::Request => {
            let kind = if interest == Interest::Command { CallKind::Command } else { CallKind::Request };
            let group = format!("{subject}.handlers");
            let sub = shared.client.queue_subscribe(subject, group).await.map_err(|e| e.to_string())?;
            tokio::spawn(on_called(shared, carried, kind, sub, stopped))
        }
    })
}

/// The next message of `sub`, or `None` once told to stop (or the subscription ended).
async fn next(sub: &mut async_nats::Subscriber, stopped: &mut oneshot::Receiver<()>) -> Option<async_nats::Message> {
    tokio::select! {
        biased;
        _ = stopped => None,
        message = sub.next() => message,
    }
}

async fn on_published(
    shared: Arc<Shared>,
    carried: Arc<Carried>,
    mut sub: async_nats::Subscriber,
    mut stopped: oneshot::Receiver<()>,
) {
    // The connection is `no_echo`: this process's own publishes (delivered in it already) do not
    // come back.
    while let Some(message) = next(&mut sub, &mut stopped).await {
        let Ok(decoded) = shared.decode(&carried, &message) else { continue };
        let Some(bus) = shared.bus.upgrade() else { break };
        bus.publish(decoded).await;
    }
    let _ = sub.unsubscribe().await;
}

async fn on_pushed(
    shared: Arc<Shared>,
    carried: Arc<Carried>,
    mut sub: async_nats::Subscriber,
    mut stopped: oneshot::Receiver<()>,
) {
    while let Some(message) = next(&mut sub, &mut stopped).await {
        let decoded = match shared.decode(&carried, &message) {
            Ok(decoded) => decoded,
            Err(error) => {
                shared.reply_error(message.reply, "decode", &shared.sender, error.to_string().into_bytes()).await;
                continue;
            }
        };
        let Some(bus) = shared.bus.upgrade() else { break };
        // Acknowledged once in this process's queue: from then on its stop drains it.
        match bus.push_local(Work::new(decoded)).await {
            Ok(()) => {
                if let Some(reply) = message.reply {
                    if let Err(error) =
                        shared.client.publish_with_headers(reply, shared.headers(), Vec::new().into()).await
                    {
                        tracing::warn!(%error, "a push's acknowledgement was not sent");
                    }
                }
            }
            Err(refused) => {
                shared.reply_error(message.reply, "rejected", &shared.sender, refused.to_string().into_bytes()).await;
            }
        }
    }
    refuse_rest(&shared, sub).await;
}

async fn on_called(
    shared: Arc<Shared>,
    carried: Arc<Carried>,
    kind: CallKind,
    mut sub: async_nats::Subscriber,
    mut stopped: oneshot::Receiver<()>,
) {
    while let Some(message) = next(&mut sub, &mut stopped).await {
        let decoded = match shared.decode(&carried, &message) {
            Ok(decoded) => decoded,
            Err(error) => {
                shared.reply_error(message.reply, "decode", &shared.sender, error.to_string().into_bytes()).await;
                continue;
            }
        };
        let Some(bus) = shared.bus.upgrade() else { break };
        let Some(reply) = message.reply else { continue };
        let (shared, carried) = (shared.clone(), carried.clone());
        // Each call answered on its own task: a slow handler does not hold the others' replies.
        shared.tasks.clone().spawn(async move {
            let answer = match bus.call_local(kind, decoded).await {
                Ok((component, response)) => match (carried.info.codec.encode_reply)(response, shared.codec) {
                    // The server would refuse it and the caller wait out its timeout: an error now.
                    Ok(body) => match shared.fits(&carried, body.len()) {
                        Ok(()) => Ok((component, body)),
                        Err(too_large) => Err(("encode", component.to_string(), too_large.to_string().into_bytes())),
                    },
                    Err(reason) => Err(("encode", component.to_string(), reason.into_bytes())),
                },
                Err(LocalCall::NoTarget(_)) => Err(("no-handler", shared.sender.clone(), Vec::new())),
                Err(LocalCall::Failed(error)) => {
                    let (kind, component, body) = wire_call_error(&error);
                    Err((kind, component, body))
                }
            };
            match answer {
                Ok((component, body)) => {
                    let mut headers = shared.headers();
                    headers.insert(COMPONENT, &*component);
                    if let Err(error) = shared.client.publish_with_headers(reply, headers, body.into()).await {
                        tracing::warn!(%error, "a reply was not sent");
                    }
                }
                Err((kind, component, body)) => shared.reply_error(Some(reply), kind, &component, body).await,
            }
        });
    }
    refuse_rest(&shared, sub).await;
}

/// Ends a listener of pushes or calls: unsubscribes, and refuses what the server had already
/// sent it, so that its sender hears `Rejected` (and gets its message back) at once instead of
/// waiting out its timeout. (What the server sends after the unsubscription left is dropped by the
/// client: its sender times out.)
async fn refuse_rest(shared: &Shared, mut sub: async_nats::Subscriber) {
    // Closes the subscription's channel; what it holds is still read.
    let _ = sub.unsubscribe().await;
    while let Some(message) = sub.next().await {
        let why = format!("the handler in process `{}` stopped", shared.sender);
        shared.reply_error(message.reply, "rejected", &shared.sender, why.into_bytes()).await;
    }
}

type DurableMessages = jetstream::consumer::pull::Stream;

/// The durable consumer of a contract's stream (shared by every process: each message to one).
async fn durable_messages(shared: &Shared, carried: &Carried) -> Result<DurableMessages, String> {
    let js = shared.jetstream.as_ref().ok_or("no JetStream context")?;
    let stream_name = shared.streams.get(carried.info.name()).ok_or("no stream")?;
    let stream = js.get_stream(stream_name).await.map_err(|e| e.to_string())?;
    let config = jetstream::consumer::pull::Config {
        durable_name: Some("pullers".to_owned()),
        ack_policy: jetstream::consumer::AckPolicy::Explicit,
        ack_wait: shared.ack_wait,
        ..Default::default()
    };
    let consumer = stream.get_or_create_consumer("pullers", config).await.map_err(|e| e.to_string())?;
    consumer.messages().await.map_err(|e| e.to_string())
}

async fn on_durable(
    shared: Arc<Shared>,
    carried: Arc<Carried>,
    first: Result<DurableMessages, String>,
    mut stopped: oneshot::Receiver<()>,
) {
    use jetstream::AckKind;
    let mut messages = match first {
        Ok(messages) => messages,
        Err(mut error) => loop {
            tracing::warn!(contract = carried.info.name(), %error, "cannot pull from JetStream yet: trying again in 1 s");
            let again = tokio::select! {
                biased;
                _ = &mut stopped => return,
                again = async {
                    tokio::time::sleep(Duration::from_secs(1)).await;
                    durable_messages(&shared, &carried).await
                } => again,
            };
            match again {
                Ok(messages) => break messages,
                Err(again) => error = again,
            }
        },
    };
    loop {
        let next = tokio::select! {
            biased;
            _ = &mut stopped => break,
            next = messages.next() => next,
        };
        let message = match next {
            None => break,
            Some(Ok(message)) => message,
            Some(Err(error)) => {
                tracing::warn!(contract = carried.info.name(), %error, "JetStream pull");
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        let decoded = match shared.decode(&carried, &message) {
            Ok(decoded) => decoded,
            Err(_) => {
                // Never decodes, wherever it goes: not redelivered.
                let _ = message.ack_with(AckKind::Term).await;
                continue;
            }
        };
        let Some(bus) = shared.bus.upgrade() else { break };
        let (done, outcome) = oneshot::channel();
        if bus.push_local(Work { message: decoded, done: Some(done) }).await.is_err() {
            // No puller left here: to another process, now.
            let _ = message.ack_with(AckKind::Nak(None)).await;
            continue;
        }
        shared.tasks.spawn(async move {
            let acked = match outcome.await {
                // Handled: done for good (the server confirms).
                Ok(true) => message.double_ack().await,
                // Its handler failed: a dead letter of this process, not redelivered.
                Ok(false) => message.ack_with(AckKind::Term).await,
                // Dropped unhandled (a start that failed): to another puller.
                Err(_) => message.ack_with(AckKind::Nak(None)).await,
            };
            if let Err(error) = acked {
                tracing::warn!(%error, "a JetStream acknowledgement was not sent: the message will be redelivered");
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::{from_bytes, subject_token, to_bytes, Codec};

    #[derive(Debug, PartialEq, serde::Serialize, serde::Deserialize)]
    enum Tree {
        Leaf(u32),
        Node(Vec<Tree>),
    }

    #[derive(Debug, PartialEq, serde::Serialize, serde::Deserialize)]
    struct Job {
        id: u64,
        name: String,
        tree: Tree,
    }

    fn codecs() -> Vec<Codec> {
        vec![
            Codec::Json,
            #[cfg(feature = "msgpack")]
            Codec::MessagePack,
        ]
    }

    #[test]
    fn every_codec_round_trips_and_refuses_what_is_not_its_type() {
        let job = Job { id: 7, name: "résumé".into(), tree: Tree::Node(vec![Tree::Leaf(1), Tree::Node(vec![])]) };
        for codec in codecs() {
            let bytes = to_bytes(&job, codec).unwrap();
            assert_eq!(from_bytes::<Job>(&bytes, codec).unwrap(), job, "{codec:?}");
            assert!(from_bytes::<Job>(&bytes[..bytes.len() / 2], codec).is_err(), "{codec:?}: cut short");
            assert!(from_bytes::<Job>(b"", codec).is_err(), "{codec:?}: empty");
            assert!(from_bytes::<u64>(&bytes, codec).is_err(), "{codec:?}: another type");
        }
    }

    #[cfg(feature = "msgpack")]
    #[test]
    fn messagepack_is_smaller_than_json_and_reads_fields_by_name() {
        #[derive(serde::Serialize)]
        struct Reordered<'a> {
            tree: Tree,
            name: &'a str,
            id: u64,
        }
        let job = Job { id: 123_456, name: "worker".into(), tree: Tree::Leaf(3) };
        let packed = to_bytes(&job, Codec::MessagePack).unwrap();
        assert!(packed.len() < to_bytes(&job, Codec::Json).unwrap().len());
        let other_version =
            to_bytes(&Reordered { tree: Tree::Leaf(3), name: "worker", id: 123_456 }, Codec::MessagePack);
        assert_eq!(from_bytes::<Job>(&other_version.unwrap(), Codec::MessagePack).unwrap(), job);
    }

    #[test]
    fn a_payload_nested_100_000_deep_is_an_error_not_a_stack_overflow() {
        let depth = 100_000;
        let json = format!("{}{}", "{\"Node\":[".repeat(depth), "]}".repeat(depth));
        assert!(from_bytes::<Tree>(json.as_bytes(), Codec::Json).is_err());
        #[cfg(feature = "msgpack")]
        {
            // {"Node": [ .. ]} as MessagePack: a map of one entry, a 4-byte string, an array of one.
            let mut packed = [0x81, 0xa4, b'N', b'o', b'd', b'e', 0x91].repeat(depth);
            packed.extend([0x81, 0xa4, b'L', b'e', b'a', b'f', 0x01]);
            assert!(from_bytes::<Tree>(&packed, Codec::MessagePack).is_err());
        }
    }

    #[test]
    fn a_name_becomes_one_subject_token() {
        assert_eq!(subject_token("worker-1_a"), "worker-1_a");
        assert_eq!(subject_token("my worker.2 *>"), "my_worker_2___");
        assert_eq!(subject_token(""), "_");
        assert_eq!(subject_token("é"), "_");
    }
}
