//! Helpers for testing components: a [`Recorder`] of what ran, in order, with
//! assertions on that order, and paused-clock helpers for background tasks and timeouts.
//!
//! ```
//! use std::time::Duration;
//! use hooks_runtime::prelude::*;
//! use hooks_runtime::testing::{self, Recorder};
//!
//! #[derive(Debug)]
//! enum Kind { Ping }
//!
//! #[derive(Hooks, Default)]
//! struct Pinger {
//!     #[hooks(base)] service: Service,
//!     #[hooks(base)] bus: MessageBusClient,
//!     log: Recorder,
//! }
//!
//! #[hooks]
//! impl Pinger {
//!     #[on_start]
//!     fn start(&mut self) { self.log.record("start"); }
//!     #[background_task(interval = "1s")]
//!     fn tick(&mut self) { self.log.record("tick"); }
//!     #[on_message(Kind::Ping)]
//!     fn ping(&mut self, _: &Message) { self.log.record("ping"); }
//!     #[on_stop]
//!     fn stop(&mut self) { self.log.record("stop"); }
//! }
//!
//! // In a test: #[tokio::test(start_paused = true)]
//! async fn ticks_and_messages_in_order() {
//!     let log = Recorder::new();
//!     let runtime = Runtime::new();
//!     log.observe(&runtime); // message edges too
//!     let h = runtime.spawn(Pinger { log: log.clone(), ..Pinger::default() });
//!     h.start().await.unwrap();
//!     testing::advance(Duration::from_millis(2_500)).await; // ticks at 0, 1 s, 2 s
//!     h.publish(Message::signal(Kind::Ping)).await.unwrap();
//!     h.stop().await.unwrap();
//!     log.assert_order(["start", "tick", "tick", "tick", "send Ping -> Pinger", "recv Ping by Pinger", "ping", "stop"]);
//! }
//! # #[tokio::main(flavor = "current_thread", start_paused = true)]
//! # async fn main() { ticks_and_messages_in_order().await }
//! ```

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use crate::bus::MessageEvent;
use crate::Runtime;

/// An ordered log of what happened, shared by clones: hooks record into it, the test asserts on
/// it. `Default` is an empty recorder, so it can be a component's field.
#[derive(Clone, Default)]
pub struct Recorder {
    entries: Arc<Mutex<Vec<String>>>,
}

impl Recorder {
    /// An empty recorder.
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends `entry`.
    pub fn record(&self, entry: impl Into<String>) {
        self.lock().push(entry.into());
    }

    /// Every entry so far, in order.
    pub fn entries(&self) -> Vec<String> {
        self.lock().clone()
    }

    /// Every entry so far, in order, leaving the recorder empty.
    pub fn take(&self) -> Vec<String> {
        std::mem::take(&mut *self.lock())
    }

    /// Records the runtime's message edges: `send {kind:?} -> {to}` (from the sender), `recv
    /// {kind:?} by {by}`, `refused {kind:?} -> {to}`.
    pub fn observe(&self, runtime: &Runtime) {
        let log = self.clone();
        runtime.observe(move |event| {
            let entry = match event {
                MessageEvent::Sent { to, kind, .. } => format!("send {kind:?} -> {to}"),
                MessageEvent::Received { by, kind, .. } => format!("recv {kind:?} by {by}"),
                MessageEvent::Refused { to, kind, .. } => format!("refused {kind:?} -> {to}"),
                MessageEvent::Undecodable { contract, sender, .. } => format!("undecodable {contract} from {sender}"),
            };
            log.record(entry);
        });
    }

    /// Asserts that the entries are exactly `expected`, in order.
    ///
    /// # Panics
    /// When they are not, showing both.
    #[track_caller]
    pub fn assert_entries<S: AsRef<str>>(&self, expected: impl IntoIterator<Item = S>) {
        let expected: Vec<String> = expected.into_iter().map(|s| s.as_ref().to_owned()).collect();
        let entries = self.entries();
        assert!(entries == expected, "recorded entries differ\n  expected: {expected:?}\n  recorded: {entries:?}");
    }

    /// Asserts that `expected` appear in this order among the entries (others may come between).
    ///
    /// # Panics
    /// Naming the first expected entry not found after the ones before it.
    #[track_caller]
    pub fn assert_order<S: AsRef<str>>(&self, expected: impl IntoIterator<Item = S>) {
        let entries = self.entries();
        let mut rest = entries.iter();
        for (i, want) in expected.into_iter().enumerate() {
            let want = want.as_ref();
            assert!(
                rest.any(|e| e == want),
                "entry #{i} `{want}` was not recorded after the ones before it\n  recorded: {entries:?}"
            );
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<String>> {
        self.entries.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl std::fmt::Debug for Recorder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.lock().iter()).finish()
    }
}

/// Lets every task that can run, run (components handling what was sent to them), without
/// moving a paused clock.
pub async fn settle() {
    // Each component's task may need a few polls (a message, then what it published).
    for _ in 0..64 {
        tokio::task::yield_now().await;
    }
}

/// On a paused clock (`#[tokio::test(start_paused = true)]`): moves time forward by `duration`,
/// letting every task run at each timer due in between, so that background ticks and timeouts
/// happen in order, as they would in real time, and at once. (On a running clock it waits.)
pub async fn advance(duration: Duration) {
    settle().await;
    let deadline = tokio::time::Instant::now() + duration;
    // Sleeping lets tokio's auto-advance jump to each timer in turn, firing each in order.
    tokio::time::sleep_until(deadline).await;
    settle().await;
}

#[cfg(test)]
mod tests {
    use super::Recorder;

    #[test]
    fn order_assertions_accept_gaps_and_refuse_swaps() {
        let log = Recorder::new();
        for e in ["start", "tick", "ping", "stop"] {
            log.record(e);
        }
        log.assert_order(["start", "ping", "stop"]);
        log.assert_entries(["start", "tick", "ping", "stop"]);
        let swapped = std::panic::catch_unwind(|| log.assert_order(["ping", "start"]));
        assert!(swapped.is_err(), "`start` is not after `ping`");
        assert_eq!(log.take().len(), 4);
        assert!(log.entries().is_empty());
    }
}
