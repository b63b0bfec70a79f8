//! The `aiperf_style` shape as separate processes over a NATS server (feature `nats`): a
//! controller, a worker manager and N workers, each its own process, the same hooks as in one
//! process. Workers pull credits (each credit to exactly one worker of all processes), report
//! status and heartbeats; the manager tracks them and publishes progress; the controller hands out
//! the credits, asks the manager for a summary (a command answered by another process) and stops
//! everyone.
//!
//! `cargo run --example distributed -- --spawn` starts a `nats-server` on 127.0.0.1:4222 if none is
//! reachable there (`apt-get install nats-server`), the manager and 3 worker processes, and stops
//! them all at the end. Or by hand, each in its own terminal, against a server at `--nats URL`
//! (default `nats://127.0.0.1:4222`):
//!
//! ```text
//! cargo run --example distributed -- --role manager
//! cargo run --example distributed -- --role worker --id 1     # as many as you like
//! cargo run --example distributed -- --role controller --workers 1
//! ```

use std::collections::{BTreeMap, BTreeSet};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use hooks_runtime::prelude::*;
use hooks_runtime::NatsTransport;
use serde::{Deserialize, Serialize};

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// A unit of work for one worker: a request to make.
#[derive(Message, Serialize, Deserialize, Debug)]
#[message(serde, name = "credits.issue")]
struct Credit {
    id: u32,
}

/// A worker's progress, published by the worker.
#[derive(Message, Serialize, Deserialize, Debug, Clone)]
#[message(serde, name = "workers.status")]
struct WorkerStatus {
    worker: u32,
    completed: u32,
}

/// A worker is alive.
#[derive(Message, Serialize, Deserialize, Debug)]
#[message(serde, name = "workers.heartbeat")]
struct Heartbeat {
    worker: u32,
}

/// A process is up, its components started and subscribed.
#[derive(Message, Serialize, Deserialize, Debug)]
#[message(serde, name = "processes.ready")]
struct Ready {
    role: String,
}

/// The target is reached (published by the manager).
#[derive(Message, Serialize, Deserialize, Debug, Clone, Copy)]
#[message(serde, name = "profile.progress")]
struct Progress {
    completed: u32,
    total: u32,
}

/// Asks the manager for a summary: a command answered by another process.
#[derive(Message, Serialize, Deserialize, Debug)]
#[message(reply = Summary, name = "manager.summary", serde)]
struct GetSummary;

#[derive(Serialize, Deserialize, Debug)]
struct Summary {
    completed: u32,
    heartbeats: u32,
    workers: usize,
}

/// Every process stops.
#[derive(Message, Serialize, Deserialize, Debug)]
#[message(serde, name = "processes.shutdown")]
struct Shutdown;

fn say(who: &str, what: String) {
    static START: std::sync::OnceLock<Instant> = std::sync::OnceLock::new();
    let t = START.get_or_init(Instant::now).elapsed();
    println!("{:>6.0} ms  {who:<15} {what}", t.as_secs_f64() * 1000.0);
}

/// A worker: pulls credits, reports status, sends heartbeats; stops on `Shutdown`.
#[derive(Hooks, Default)]
struct Worker {
    #[hooks(base)]
    service: Service,
    #[hooks(base)]
    bus: MessageBusClient,
    #[hooks(base)]
    pull: PullClient,
    id: u32,
    completed: u32,
}

#[hooks]
impl Worker {
    #[on_pull_message]
    async fn credit(&mut self, _credit: &Credit, ctx: &Context) {
        tokio::time::sleep(Duration::from_millis(10)).await; // the request
        self.completed += 1;
        ctx.publish(WorkerStatus { worker: self.id, completed: self.completed }).await;
    }

    #[background_task(interval = "250ms")]
    async fn heartbeat(&mut self, ctx: &Context) {
        ctx.publish(Heartbeat { worker: self.id }).await;
    }

    #[on_message]
    fn shutdown(&mut self, _: &Shutdown, ctx: &Context) {
        ctx.request_stop();
    }

    #[on_stop]
    fn stop(&mut self) {
        say(&format!("worker-{}", self.id), format!("stopped after {} credits", self.completed));
    }
}

/// Tracks every worker; publishes `Progress` once the target is reached; answers `GetSummary`.
#[derive(Hooks, Default)]
struct WorkerManager {
    #[hooks(base)]
    service: Service,
    #[hooks(base)]
    bus: MessageBusClient,
    #[hooks(base)]
    commands: CommandHandler,
    workers: BTreeMap<u32, u32>,
    heartbeats: u32,
    alive: BTreeSet<u32>,
    total: u32,
    announced: bool,
}

#[hooks]
impl WorkerManager {
    #[on_message]
    async fn track(&mut self, status: &WorkerStatus, ctx: &Context) {
        self.workers.insert(status.worker, status.completed);
        let completed = self.workers.values().sum();
        if completed >= self.total && !self.announced {
            self.announced = true;
            ctx.publish(Progress { completed, total: self.total }).await;
        }
    }

    #[on_message]
    fn heartbeat(&mut self, beat: &Heartbeat) {
        self.heartbeats += 1;
        if self.alive.insert(beat.worker) {
            say("WorkerManager", format!("worker-{} alive", beat.worker));
        }
    }

    #[on_command]
    fn summary(&mut self, _: &GetSummary) -> Summary {
        Summary { completed: self.workers.values().sum(), heartbeats: self.heartbeats, workers: self.workers.len() }
    }

    #[on_message]
    fn shutdown(&mut self, _: &Shutdown, ctx: &Context) {
        ctx.request_stop();
    }
}

/// Waits for the processes to be ready and for the target.
#[derive(Hooks, Default)]
struct Controller {
    #[hooks(base)]
    service: Service,
    #[hooks(base)]
    bus: MessageBusClient,
    ready: Vec<String>,
    progress: Option<Progress>,
}

#[hooks]
impl Controller {
    #[on_message]
    fn ready(&mut self, ready: &Ready) {
        say("Controller", format!("{} ready", ready.role));
        self.ready.push(ready.role.clone());
    }

    #[on_message]
    fn progress(&mut self, progress: &Progress) {
        say("Controller", format!("target reached: {}/{} credits", progress.completed, progress.total));
        self.progress = Some(*progress);
    }
}

struct Args {
    role: String,
    id: u32,
    workers: u32,
    spawn: bool,
    nats: String,
}

fn args() -> Result<Args, BoxError> {
    let mut args = Args {
        role: "controller".to_owned(),
        id: 0,
        workers: 3,
        spawn: false,
        nats: std::env::var("NATS_URL").unwrap_or_else(|_| "nats://127.0.0.1:4222".to_owned()),
    };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        let mut value = |name: &str| it.next().ok_or_else(|| format!("{name} needs a value"));
        match arg.as_str() {
            "--role" => args.role = value("--role")?,
            "--id" => args.id = value("--id")?.parse()?,
            "--workers" => args.workers = value("--workers")?.parse()?,
            "--nats" => args.nats = value("--nats")?,
            "--spawn" => args.spawn = true,
            other => return Err(format!("unknown argument `{other}` (see the example's header)").into()),
        }
    }
    Ok(args)
}

fn transport(args: &Args, name: String) -> NatsTransport {
    NatsTransport::new(args.nats.clone()).prefix("aiperf").name(name)
}

/// The host and port of a `nats://host:port` URL.
fn address(url: &str) -> String {
    url.trim_start_matches("nats://").split(',').next().unwrap_or("127.0.0.1:4222").to_owned()
}

/// The processes this one started, stopped (killed if they did not stop) when dropped.
#[derive(Default)]
struct Spawned(Vec<(String, Child)>);

impl Drop for Spawned {
    fn drop(&mut self) {
        for (name, child) in self.0.iter_mut().rev() {
            if let Ok(None) = child.try_wait() {
                let _ = child.kill();
                say("main", format!("{name} stopped"));
            }
            let _ = child.wait();
        }
    }
}

async fn wait_exit(children: &mut Spawned, what: &str, budget: Duration) {
    let deadline = Instant::now() + budget;
    for (name, child) in children.0.iter_mut().filter(|(name, _)| name.starts_with(what)) {
        while let Ok(None) = child.try_wait() {
            if Instant::now() > deadline {
                say("main", format!("{name} did not stop by itself"));
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

async fn worker(args: &Args) -> Result<(), BoxError> {
    let runtime = Runtime::with_transport(transport(args, format!("worker-{}", args.id))).await?;
    let worker = runtime.spawn_named(format!("worker-{}", args.id), Worker { id: args.id, ..Worker::default() });
    worker.start().await?;
    runtime.publish(Ready { role: format!("worker-{}", args.id) }).await;
    worker.wait_stopped().await;
    runtime.stop_all().await?;
    Ok(())
}

async fn manager(args: &Args) -> Result<(), BoxError> {
    let runtime = Runtime::with_transport(transport(args, "manager".to_owned())).await?;
    let manager = runtime.spawn(WorkerManager { total: 60, ..WorkerManager::default() });
    manager.start().await?;
    runtime.publish(Ready { role: "manager".to_owned() }).await;
    manager.wait_stopped().await;
    runtime.stop_all().await?;
    Ok(())
}

async fn controller(args: &Args) -> Result<(), BoxError> {
    let mut children = Spawned::default();
    if args.spawn {
        let address = address(&args.nats);
        if TcpStream::connect(&address).is_err() {
            let (host, port) = address.rsplit_once(':').ok_or("--nats nats://host:port")?;
            let server = Command::new("nats-server")
                .args(["-a", host, "-p", port])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .or_else(|_| Command::new("/usr/sbin/nats-server").args(["-a", host, "-p", port]).spawn())
                .map_err(|e| {
                    format!("cannot start nats-server ({e}): install it with `apt-get install nats-server`")
                })?;
            children.0.push(("nats-server".to_owned(), server));
            let deadline = Instant::now() + Duration::from_secs(10);
            while TcpStream::connect(&address).is_err() {
                if Instant::now() > deadline {
                    return Err("nats-server did not listen within 10 s".into());
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            say("main", format!("nats-server started on {address}"));
        } else {
            say("main", format!("using the nats-server at {address}"));
        }
    }
    let runtime = Runtime::with_transport(transport(args, "controller".to_owned())).await?;
    let controller = runtime.spawn(Controller::default());
    controller.start().await?;
    if args.spawn {
        let exe = std::env::current_exe()?;
        let mut spawn = |name: String, role: &[&str]| -> Result<(), BoxError> {
            let child = Command::new(&exe).args(role).args(["--nats", &args.nats]).spawn()?;
            children.0.push((name, child));
            Ok(())
        };
        spawn("manager".to_owned(), &["--role", "manager"])?;
        for id in 1..=args.workers {
            spawn(format!("worker-{id}"), &["--role", "worker", "--id", &id.to_string()])?;
        }
    }
    let expected = 1 + args.workers as usize;
    let deadline = Instant::now() + Duration::from_secs(30);
    while controller.with(|c| c.ready.len()).await? < expected {
        if Instant::now() > deadline {
            return Err(format!("not every process was ready within 30 s ({expected} expected)").into());
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    say("main", format!("{expected} processes ready; handing out 60 credits"));
    for id in 0..60 {
        runtime.push(Credit { id }).await?;
    }
    let deadline = Instant::now() + Duration::from_secs(30);
    while controller.with(|c| c.progress.is_none()).await? {
        if Instant::now() > deadline {
            return Err("the target was not reached within 30 s".into());
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let Summary { completed, heartbeats, workers } = runtime.command(GetSummary).await?;
    say("main", format!("summary from the manager: {completed} credits by {workers} workers, {heartbeats} heartbeats"));
    runtime.publish(Shutdown).await;
    wait_exit(&mut children, "worker", Duration::from_secs(10)).await;
    wait_exit(&mut children, "manager", Duration::from_secs(10)).await;
    runtime.stop_all().await?;
    say("main", "every process stopped".to_owned());
    Ok(())
}

#[tokio::main]
async fn main() -> Result<(), BoxError> {
    let args = args()?;
    match args.role.as_str() {
        "worker" => worker(&args).await,
        "manager" => manager(&args).await,
        "controller" => controller(&args).await,
        other => Err(format!("unknown role `{other}`: controller, manager or worker").into()),
    }
}
