//! The priority-context seed's scenario: a `user_created` event fired once; a wallet module at
//! priority 5, notifications at 10, transactions at 15; one hook filtered out by context; one
//! failing with its error handler called; the report shows order, outcomes and timings.
//!
//! Run with `cargo run --example user_created`.

use std::sync::{Arc, Mutex};

use hooks_runtime::prelude::*;
use hooks_runtime::HookRegistry;

#[derive(Debug)]
struct NewUser {
    id: u32,
    name: &'static str,
}

#[derive(Debug, thiserror::Error)]
#[error("ledger unavailable")]
struct LedgerDown;

fn main() -> Result<(), HookError> {
    // `RUST_LOG=debug` shows each hook run with its component, duration and failures.
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_span_events(tracing_subscriber::fmt::format::FmtSpan::CLOSE)
        .init();
    let mut hooks = HookRegistry::new();
    let db: Arc<Mutex<Vec<String>>> = Arc::default();

    let wallets = db.clone();
    hooks.on("user_created", HookSpec::new("wallet.init").priority(5).context("wallet"), move |e| {
        let user = e.data::<NewUser>().expect("user_created carries a NewUser");
        wallets.lock().unwrap().push(format!("wallet for user {} with 0 credits", user.id));
    })?;

    let outbox = db.clone();
    hooks.on("user_created", HookSpec::new("comms.welcome").priority(10), move |e| {
        let user = e.data::<NewUser>().expect("a NewUser");
        outbox.lock().unwrap().push(format!("welcome notification to {}", user.name));
    })?;

    hooks.on(
        "user_created",
        HookSpec::new("ledger.open").priority(15).context("wallet").on_error(|e| eprintln!("  error handler: {e}")),
        |_| Err::<(), _>(LedgerDown),
    )?;

    hooks.on("user_created", HookSpec::new("analytics.track").priority(12).context("analytics"), |_| {
        println!("  (never printed: filtered by context)");
    })?;

    println!("registered hooks:");
    for h in hooks.hook_infos() {
        println!("  {:<16} priority {:>2}  context {:?}", h.method, h.priority, h.tags);
    }

    let runtime = tokio::runtime::Builder::new_current_thread().enable_time().build().expect("a tokio runtime");
    let report = runtime.block_on(hooks.trigger_event(
        "user_created",
        NewUser { id: 42, name: "ada" },
        RunSpec::new().context("wallet"),
    ));

    println!("\ntrigger user_created in context \"wallet\":\n{report}");
    println!("effects:");
    for line in db.lock().unwrap().iter() {
        println!("  {line}");
    }
    Ok(())
}
