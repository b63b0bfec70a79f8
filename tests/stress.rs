//! The stop and delivery protocols under load (issue 11): many concurrent senders on a
//! multi_thread runtime, mixing every way to send, while the component stops. Every message a
//! send accepted is handled exactly once; every refused one is handed back; every call is
//! answered or hands its message back; nothing hangs. Bounded loops: it finishes in seconds.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use hooks_runtime::prelude::*;
use hooks_runtime::{CallError, Rejection, SendError};

#[derive(Debug, Clone, Copy, PartialEq)]
enum Kind {
    Event,
    Cmd,
    Job,
}

/// Every message id a handler saw, in order.
type Seen = Arc<Mutex<Vec<u64>>>;

#[derive(Hooks, Default)]
struct Sink {
    #[hooks(base)]
    service: Service,
    #[hooks(base)]
    bus: MessageBusClient,
    #[hooks(base)]
    commands: CommandHandler,
    #[hooks(base)]
    pulls: PullClient,
    seen: Seen,
}

#[hooks]
impl Sink {
    #[on_message(Kind::Event)]
    fn event(&mut self, id: &u64) {
        self.seen.lock().unwrap().push(*id);
    }

    #[on_command(Kind::Cmd)]
    fn cmd(&mut self, id: &u64) -> Result<u64, std::convert::Infallible> {
        self.seen.lock().unwrap().push(*id);
        Ok(*id)
    }

    #[on_pull_message(Kind::Job)]
    fn job(&mut self, id: &u64) {
        self.seen.lock().unwrap().push(*id);
    }
}

/// What the senders of one cycle saw.
#[derive(Default)]
struct Tally {
    /// Ids a send accepted: each must be handled exactly once.
    accepted: Vec<u64>,
    /// Ids handed back: none may be handled.
    returned: Vec<u64>,
}

#[derive(Default)]
struct Totals {
    cycles: u64,
    accepted: u64,
    returned: u64,
    handled: u64,
}

const SENDERS: u64 = 8;
const SENDS: u64 = 12;

/// A send's outcome, checking that a refused one handed back the message with `id`.
fn handed_back(sent: Result<(), SendError>, id: u64) -> Result<(), ()> {
    sent.map_err(|err| assert_eq!(err.message.payload::<u64>(), Some(&id), "handed back"))
}

/// One sender: up to `SENDS` sends of every kind, round robin, until one is refused.
async fn sender(runtime: Runtime, handle: Handle<Sink>, first_id: u64, tally: Arc<Mutex<Tally>>) {
    for n in 0..SENDS {
        let id = first_id + n;
        // Whether the send was accepted (`Ok`) or refused, the message handed back checked.
        let sent = match (first_id / SENDS + n) % 4 {
            0 => handed_back(handle.publish(Message::new(Kind::Event, id)).await, id),
            1 => match handle.command(Message::new(Kind::Cmd, id)).await {
                Ok(response) => {
                    assert_eq!(response.get::<u64>(), Some(&id), "its own response");
                    Ok(())
                }
                Err(CallError::Rejected(err)) => {
                    assert_eq!(err.reason, Rejection::Stopped);
                    handed_back(Err(err), id)
                }
                Err(other) => panic!("a command to a stopping component: {other}"),
            },
            2 => handed_back(runtime.push(Message::new(Kind::Job, id)).await, id),
            _ => match runtime.publish(Message::new(Kind::Event, id)).await {
                1 => Ok(()),
                0 => Err(()),
                n => panic!("one subscriber, {n} accepted"),
            },
        };
        let refused = sent.is_err();
        {
            let mut tally = tally.lock().unwrap();
            if refused {
                tally.returned.push(id)
            } else {
                tally.accepted.push(id)
            }
        }
        if refused {
            return;
        }
        if n % 3 == 0 {
            tokio::task::yield_now().await;
        }
    }
}

/// Spawns, starts, lets `SENDERS` senders go and stops the component while they send.
async fn cycle(cycle: u64, totals: &mut Totals) {
    let runtime = Runtime::new();
    let seen = Seen::default();
    let handle = runtime.spawn(Sink { seen: seen.clone(), ..Sink::default() });
    handle.start().await.unwrap();
    let tally = Arc::new(Mutex::new(Tally::default()));
    let senders: Vec<_> = (0..SENDERS)
        .map(|s| {
            let first_id = (cycle * SENDERS + s) * SENDS;
            tokio::spawn(sender(runtime.clone(), handle.clone(), first_id, tally.clone()))
        })
        .collect();
    // Stop after a varying head start, so that the stop lands anywhere among the sends.
    for _ in 0..cycle % 7 {
        tokio::task::yield_now().await;
    }
    let stopped = handle.stop().await.unwrap();
    for s in senders {
        s.await.unwrap();
    }
    let mut handled = stopped.seen.lock().unwrap().clone();
    let tally = std::mem::take(&mut *tally.lock().unwrap());
    handled.sort_unstable();
    let mut accepted = tally.accepted;
    accepted.sort_unstable();
    assert_eq!(handled, accepted, "cycle {cycle}: every accepted message handled exactly once, nothing else");
    totals.cycles += 1;
    totals.accepted += accepted.len() as u64;
    totals.returned += tally.returned.len() as u64;
    totals.handled += handled.len() as u64;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn accepted_messages_are_handled_exactly_once_across_10_000_racing_stops() {
    let mut totals = Totals::default();
    let run = async {
        for c in 0..10_000 {
            cycle(c, &mut totals).await;
        }
    };
    tokio::time::timeout(Duration::from_secs(120), run).await.expect("no cycle hangs");
    println!(
        "stress: {} cycles, {} senders each: {} accepted, {} handled, {} handed back",
        totals.cycles, SENDERS, totals.accepted, totals.handled, totals.returned
    );
    assert_eq!(totals.accepted, totals.handled);
    assert!(totals.returned > 0, "some sends raced with the stop");
}

/// Spawn/stop cycles leave nothing behind in the runtime: the components, subscriptions and work
/// queues of stopped components are gone.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn spawn_and_stop_cycles_leave_nothing_behind() {
    let runtime = Runtime::new();
    let ids = AtomicU64::new(0);
    for _ in 0..2_000 {
        let h = runtime.spawn(Sink::default());
        h.start().await.unwrap();
        let id = ids.fetch_add(1, Ordering::Relaxed);
        runtime.push(Message::new(Kind::Job, id)).await.unwrap();
        let sink = h.stop().await.unwrap();
        assert_eq!(*sink.seen.lock().unwrap(), [id], "the last puller handles what its queue held");
    }
    assert!(runtime.components().is_empty());
    let err = runtime.push(Message::new(Kind::Job, 0u64)).await.unwrap_err();
    assert_eq!(err.reason, Rejection::NoPuller, "no queue outlives its pullers");
}
