//! Generated code must not trip the lints a careful user denies (clippy runs with -D warnings on
//! all targets in CI, so clippy lints over expansions are checked here too).
#![deny(
    warnings,
    missing_docs,
    rust_2018_idioms,
    unused_qualifications,
    unreachable_pub,
    non_snake_case,
    clippy::all,
    clippy::pedantic
)]
// About the user's own methods, not the expansion: hooks often ignore `self`.
#![allow(clippy::unused_async, clippy::unused_self)]

use hooks_runtime::prelude::*;

/// A documented command.
#[derive(Message, Debug)]
#[message(reply = u32, name = "linted.count")]
pub struct Count;

/// A documented status (a struct with fields: its name is also a value).
#[derive(Message, Debug)]
pub struct Status {
    /// Whether it is busy.
    pub busy: bool,
}

/// A documented job (a tuple struct: its name is its constructor).
#[derive(Message, Debug)]
pub struct Job(pub u32);

/// A documented component.
#[derive(Hooks, Default, Debug)]
pub struct Linted {
    #[hooks(base)]
    service: Service,
    #[hooks(base)]
    bus: MessageBusClient,
    #[hooks(base)]
    commands: CommandHandler,
    count: u32,
}

#[hooks]
impl Linted {
    #[on_init(priority = -1, timeout = "1s")]
    async fn init(&mut self) -> Result<(), std::io::Error> {
        self.count += 1;
        Ok(())
    }

    #[on_message("a", |this: &Self| if this.count > 0 { vec!["b"] } else { vec![] })]
    fn on_a(&mut self, msg: &Message) {
        let _ = msg.kind::<&str>();
    }

    #[on_message(Status, Job, |this: &Self| if this.count > 0 { vec![Status] } else { vec![] })]
    fn typed(&mut self, msg: &Message) {
        let _ = msg.is::<Status>();
    }

    #[on_message]
    async fn status(&mut self, status: &Status) {
        self.count += u32::from(status.busy);
    }

    #[on_command]
    fn count(&mut self, _count: &Count) -> u32 {
        self.count
    }

    #[on_command(Count)]
    async fn count_again(&mut self, _msg: &Message) -> Result<u32, std::io::Error> {
        Ok(self.count)
    }

    #[background_task(interval = 1, immediate = false, stop_on_error = true)]
    fn tick(&self) {}

    #[on_state_change]
    fn changed(&mut self, _old: LifecycleState, _new: LifecycleState) {}

    #[on_stop]
    async fn stop(&mut self, _reason: &StopReason) {}
}

#[test]
fn expansions_pass_strict_lints() {
    assert_eq!(Linted::default().hook_infos().len(), 9);
    assert_eq!(format!("{:?}", Job(1)), "Job(1)");
}
