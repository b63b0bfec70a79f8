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

/// A documented component.
#[derive(Hooks, Default, Debug)]
pub struct Linted {
    #[hooks(base)]
    service: Service,
    #[hooks(base)]
    bus: MessageBusClient,
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

    #[background_task(interval = 1, immediate = false, stop_on_error = true)]
    fn tick(&self) {}

    #[on_state_change]
    fn changed(&mut self, _old: LifecycleState, _new: LifecycleState) {}

    #[on_stop]
    async fn stop(&mut self, _reason: &StopReason) {}
}

#[test]
fn expansions_pass_strict_lints() {
    assert_eq!(Linted::default().hook_infos().len(), 5);
}
