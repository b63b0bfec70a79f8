// The prelude glob brings the `Message` derive (macro namespace) and the `Message` struct (type
// namespace) under one name: `#[derive(Message)]`, `Message::new` and `msg: &Message` side by side.
// Every form of message type in a handler's attribute: a unit struct's value, a struct's or an
// enum's name, a tuple struct's constructor, a closure yielding contracts, the argument's type,
// and a dynamic kind beside them.
use hooks_runtime::prelude::*;

#[derive(Message)]
#[message(reply = u32)]
struct Count;

#[derive(Message)]
struct Status {
    busy: bool,
}

#[derive(Message)]
enum Job {
    Small,
    Big(u32),
}

#[derive(Message)]
#[message(reply = String)]
struct Echo(String);

#[derive(Message)]
struct Pair(u8, u8);

#[derive(Debug)]
enum Kind {
    Heartbeat,
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
    verbose: bool,
}

#[hooks]
impl Worker {
    #[on_message(Status, Kind::Heartbeat, Pair, |this: &Self| if this.verbose { vec![Status] } else { vec![] })]
    fn any(&mut self, msg: &Message) {
        let _ = msg.is::<Status>();
    }

    #[on_message]
    async fn status(&mut self, status: &Status, ctx: &Context) {
        let _ = (status.busy, ctx.name());
    }

    #[on_command(Count)]
    fn count(&mut self, _count: &Count) -> Result<u32, std::io::Error> {
        Ok(1)
    }

    #[on_request(Echo)]
    async fn echo(&mut self, echo: &Echo) -> String {
        echo.0.clone()
    }

    #[on_pull_message(Job)]
    fn job(&mut self, job: &Job) {
        let _ = matches!(job, Job::Small | Job::Big(_));
    }
}

async fn calls(runtime: &Runtime, worker: &Handle<Worker>) -> Result<(), Box<dyn std::error::Error>> {
    let n: u32 = worker.command(Count).await?;
    let echo: String = worker.request(Echo(n.to_string())).await?;
    let untyped: hooks_runtime::Response = worker.command(Message::new("count", echo)).await?;
    let _ = untyped.get::<u32>();
    runtime.publish(Status { busy: true }).await;
    runtime.publish(Message::signal(Kind::Heartbeat)).await;
    runtime.push(Job::Big(1)).await?;
    worker.publish(Pair(1, 2)).await?;
    Ok(())
}

fn main() {
    let _ = calls;
}
