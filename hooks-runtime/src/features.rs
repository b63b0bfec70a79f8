//! The crate's cargo features, all off by default, so a build pays only for what it uses.
//!
//! - `config`: callbacks built by name from a TOML or JSON configuration (`CallbackConfig`,
//!   `Callbacks::add_callbacks_from_config`, `build_callback`, `callback_names`, `ConfigError`)
//!   and `#[callback(name = "..")]`, which registers a callback for that. Adds serde, serde_json
//!   and toml.
//! - `timeline`: `Timeline`, a tracing layer that draws what ran when (SVG and Chrome trace).
//!   Adds tracing-subscriber and serde_json.
//! - `serde`: message contracts that cross processes: `#[message(serde)]` on a `#[derive(Message)]`
//!   type makes it a `RemoteContract` (payload and reply `Serialize + DeserializeOwned`, its
//!   stable name the subject a transport sends it under) and registers it (`remote_contracts()`).
//!   Adds serde. Without it, `#[message(serde)]` is one compile error that names the feature.
//! - `nats` (turns on `serde`): `NatsTransport` and `Runtime::with_transport`, the bus across
//!   processes over a NATS server (`docs/distributed.md`). Adds async-nats and serde_json.
//! - `msgpack` (turns on `nats`): `Codec::MessagePack`, a compact binary wire format for the NATS
//!   transport. Adds rmp-serde.
//!
//! Without `config`, `#[callback(name = "..")]` is one compile error that names the feature (a
//! registration nothing could build would break as soon as another crate of the build turned the
//! feature on):
//!
#![cfg_attr(not(feature = "config"), doc = "```compile_fail")]
#![cfg_attr(feature = "config", doc = "```")]
//! use hooks_runtime::{callback, CallbackResult};
//!
//! pub trait Listener: Send {
//!     fn on_event(&mut self) -> CallbackResult {
//!         Ok(hooks_runtime::Control::Continue)
//!     }
//! }
//!
//! #[derive(serde::Deserialize, Default)]
//! struct Printer;
//!
//! // error (without `config`): `#[callback(name = "..")]` registers a callback to build from
//! // configuration, which needs the `config` feature; enable it: ..
//! #[callback(name = "printer")]
//! impl Listener for Printer {}
//!
//! let mut printer = Printer;
//! printer.on_event().unwrap();
//! ```
//!
//! The same for `#[message(serde)]` without the `serde` feature:
//!
#![cfg_attr(not(feature = "serde"), doc = "```compile_fail")]
#![cfg_attr(feature = "serde", doc = "```")]
//! use hooks_runtime::prelude::*;
//!
//! // error (without `serde`): `#[message(serde)]` makes a contract that crosses processes, which
//! // needs the `serde` feature; enable it: ..
//! #[derive(Message, serde::Serialize, serde::Deserialize)]
//! #[message(reply = u32, serde)]
//! struct Count;
//!
//! assert_eq!(<Count as Contract>::NAME, "Count");
//! ```
