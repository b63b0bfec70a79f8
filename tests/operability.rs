//! The first hour (issue 16): long work off a component's task, shutdown on a trigger.

use std::time::Duration;

use hooks_runtime::prelude::*;

#[derive(Debug, Clone, Copy, PartialEq)]
enum Kind {
    Fetched,
    Ping,
}

#[derive(Hooks, Default)]
struct Poller {
    #[hooks(base)]
    service: Service,
    #[hooks(base)]
    bus: MessageBusClient,
    #[hooks(base)]
    commands: CommandHandler,
    fetched: Vec<u32>,
    round: u32,
}

#[hooks]
impl Poller {
    /// The tick starts the slow part on its own task and returns at once.
    #[background_task(interval = "10s")]
    fn refresh(&mut self, ctx: &Context) {
        self.round += 1;
        let (me, round) = (ctx.clone(), self.round);
        ctx.spawn(async move {
            tokio::time::sleep(Duration::from_secs(1)).await;
            let _ = me.tell(Message::new(Kind::Fetched, round)).await;
        });
    }

    #[on_message(Kind::Fetched)]
    fn fetched(&mut self, round: &u32) {
        self.fetched.push(*round);
    }

    #[on_command(Kind::Ping)]
    fn ping(&mut self, _: &Message) -> Result<u32, std::convert::Infallible> {
        Ok(self.fetched.len() as u32)
    }
}

#[tokio::test(start_paused = true)]
async fn long_work_spawned_from_a_tick_does_not_delay_the_component_and_hands_its_result_back() {
    let runtime = Runtime::new();
    let h = runtime.spawn(Poller::default());
    h.start().await.unwrap();
    tokio::time::sleep(Duration::from_millis(10)).await;
    // The slow part of the first tick is running: a command is answered at once.
    let asked = tokio::time::Instant::now();
    let seen = h.command(Message::signal(Kind::Ping)).await.unwrap();
    assert_eq!(asked.elapsed(), Duration::ZERO, "not held up by the tick's slow part");
    assert_eq!(seen.get::<u32>(), Some(&0));
    tokio::time::sleep(Duration::from_millis(12_000)).await;
    let p = h.stop().await.unwrap();
    assert_eq!(p.fetched, [1, 2], "each tick's result came back as a message, handled with &mut self");
}

#[derive(Hooks, Default)]
struct Teller {
    #[hooks(base)]
    service: Service,
    #[hooks(base)]
    bus: MessageBusClient,
    got: u32,
}

#[hooks]
impl Teller {
    #[on_start]
    async fn fill(&mut self, ctx: &Context) {
        // From its own hook, a full mailbox refuses instead of waiting for itself.
        let mut refused = 0;
        for n in 0..2_000u32 {
            if let Err(err) = ctx.tell(Message::new(Kind::Fetched, n)).await {
                assert_eq!(err.reason, hooks_runtime::Rejection::Full);
                refused += 1;
            }
        }
        assert!(refused > 0);
    }

    #[on_message(Kind::Fetched)]
    fn fetched(&mut self, _: &u32) {
        self.got += 1;
    }
}

#[tokio::test]
async fn telling_itself_from_its_own_hook_never_waits_for_itself() {
    let runtime = Runtime::new();
    let h = runtime.spawn(Teller::default());
    tokio::time::timeout(Duration::from_secs(10), h.start()).await.expect("no deadlock").unwrap();
    let t = h.stop().await.unwrap();
    assert_eq!(t.got as usize, hooks_runtime::bus::MAILBOX, "what fitted was handled");
}
