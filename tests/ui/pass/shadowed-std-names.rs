// The generated code names nothing unqualified: std names shadowed at module level are harmless.
#![allow(dead_code, unused_macros)]

use hooks_runtime::prelude::*;

struct Box;
struct Vec;
struct Option;
struct Some;
struct None;
type Result = ();
struct Ok;
struct Err;
struct Pin;
struct Future;
struct Any;
struct Duration;
struct TypeId;
struct OnceLock;
struct String;
struct Send;
struct Sync;
struct Sized;
struct Default;
struct Into;
struct From;
struct Iterator;
struct IntoIterator;
struct Fn;
struct Registration;
struct Step;
struct Table;
struct Walker;
struct ParamValue;
struct IntoHookResult;
struct TABLE;
struct KEY;
struct Key;
struct Contract;
struct ContractOf;
struct Probe;
struct Typed;
struct Dynamic;
struct Call;
struct Response;
mod core {}
mod std {}
mod inventory {}
mod hooks_core {}
macro_rules! vec {
    ($($t:tt)*) => {
        compile_error!("the generated code used the user's `vec!`")
    };
}
macro_rules! assert {
    ($($t:tt)*) => {
        compile_error!("the generated code used the user's `assert!`")
    };
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Kind {
    A,
}

#[derive(hooks_runtime::Message)]
#[message(reply = u32)]
struct Count;

#[derive(hooks_runtime::Message)]
struct Status {
    busy: bool,
}

#[derive(Hooks)]
#[provides_hooks(OnMessage)]
struct Worker {
    #[hooks(base)]
    service: Service,
    #[hooks(base)]
    bus: MessageBusClient,
    #[hooks(base)]
    commands: CommandHandler,
    extra: bool,
}

#[hooks]
impl Worker {
    #[on_init(priority = 1)]
    fn init(&mut self) {}

    #[on_init]
    fn r#match(&mut self) {}

    #[on_start(timeout = "1s")]
    async fn start(&mut self) -> ::std::result::Result<(), ::std::string::String> {
        ::std::result::Result::Ok(())
    }

    #[on_stop]
    fn stop(&mut self, _reason: &StopReason) {}

    #[on_state_change]
    fn changed(&mut self, _old: LifecycleState, _new: LifecycleState) {}

    #[on_message(Kind::A, |this: &Self| if this.extra { ::std::vec![Kind::A] } else { ::std::vec![] })]
    fn message(&mut self, _msg: &Message) {}

    #[on_message(Status)]
    fn status(&mut self, _status: &Status) {}

    #[on_command]
    fn count(&mut self, _count: &Count) -> u32 {
        0
    }

    #[on_command(Count)]
    async fn count_again(&mut self, _msg: &Message) -> ::std::result::Result<u32, ::std::string::String> {
        ::std::result::Result::Ok(1)
    }

    #[background_task(interval = "5s")]
    async fn tick(&mut self) {}

    #[background_task(interval = |_this: &Self| ::std::time::Duration::from_secs(1))]
    async fn tock(&mut self) {}
}

fn main() {}
