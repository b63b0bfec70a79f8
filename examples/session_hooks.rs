//! The session-manager seed's checkpoint flow: a validating pre-checkpoint hook that vetoes a bad
//! checkpoint, post-checkpoint hooks that add to a shared context (a fold), and `list_hooks`.
//!
//! Run with `cargo run --example session_hooks`.

use std::collections::BTreeMap;

use hooks_runtime::prelude::*;
use hooks_runtime::Fold;

/// A checkpoint about to be written.
#[derive(Debug)]
struct Checkpoint {
    session: &'static str,
    quality: u32,
}

/// What post-checkpoint hooks build together.
#[derive(Debug, Default)]
struct CheckpointContext {
    metadata: BTreeMap<&'static str, String>,
}

hook_type!(
    /// Before a checkpoint: may veto it with `Control::Stop`.
    PreCheckpoint(Checkpoint)
);
hook_type!(
    /// After a checkpoint: each hook may add to the context; later ones see earlier additions.
    PostCheckpoint(Fold<CheckpointContext>)
);

#[derive(Hooks, Default)]
#[provides_hooks(PreCheckpoint, PostCheckpoint)]
struct Session {
    attached: AttachedHooks,
    written: u32,
}

#[hooks]
impl Session {
    // A static hook: always there, runs first (priority -10).
    #[hook(PreCheckpoint, priority = -10)]
    fn validate(&mut self, checkpoint: &Checkpoint) -> Control {
        if checkpoint.quality < 50 {
            Control::stop(format!("quality {} is below 50", checkpoint.quality))
        } else {
            Control::Continue
        }
    }

    #[hook(PostCheckpoint)]
    fn count(&mut self, ctx: &Fold<CheckpointContext>) {
        self.written += 1;
        ctx.update(|c| c.metadata.insert("checkpoints", self.written.to_string()));
    }
}

impl Session {
    async fn checkpoint(&mut self, checkpoint: Checkpoint) -> Result<Option<CheckpointContext>, MultiError> {
        let pre = self.run_hooks_report::<PreCheckpoint>(&checkpoint, RunSpec::new()).await;
        if let Some((hook, reason)) = pre.stopped() {
            println!("  checkpoint of {} vetoed by `{hook}`: {reason}", checkpoint.session);
            return Ok(None);
        }
        pre.into_result()?;
        println!("  checkpoint of {} written (quality {})", checkpoint.session, checkpoint.quality);
        let ctx = Fold::new(CheckpointContext::default());
        self.run_hooks_report::<PostCheckpoint>(&ctx, RunSpec::new()).await.into_result()?;
        Ok(Some(ctx.into_inner()))
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    // `RUST_LOG=debug` shows each hook run with its component, duration and failures.
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_span_events(tracing_subscriber::fmt::format::FmtSpan::CLOSE)
        .init();
    let mut session = Session::default();
    session.attach_hook_with::<PreCheckpoint, _, _>(HookSpec::new("log_pre"), |_: &mut Session, c: &Checkpoint| {
        println!("  pre-checkpoint: {} at quality {}", c.session, c.quality);
    })?;
    session.attach_hook_with::<PostCheckpoint, _, _>(
        HookSpec::new("timestamp").priority(-1),
        |_: &mut Session, ctx: &Fold<CheckpointContext>| {
            ctx.update(|c| c.metadata.insert("at", "12:00".into()));
        },
    )?;
    session.attach_hook_with::<PostCheckpoint, _, _>(
        HookSpec::new("summary").priority(5),
        |_: &mut Session, ctx: &Fold<CheckpointContext>| {
            // Sees what the earlier hooks added.
            let seen = ctx.read(|c| c.metadata.keys().copied().collect::<Vec<_>>().join(", "));
            ctx.update(|c| c.metadata.insert("summary", format!("after [{seen}]")));
        },
    )?;

    println!("list_hooks:");
    for h in session.hook_infos() {
        let kind = if h.attached { "run-time" } else { "static" };
        println!("  {:<15} {:<10} priority {:>3}  {kind}", h.hook_type, h.method, h.priority);
    }

    println!("\ncheckpoint 1:");
    session.checkpoint(Checkpoint { session: "s-1", quality: 30 }).await?;
    println!("\ncheckpoint 2:");
    if let Some(ctx) = session.checkpoint(Checkpoint { session: "s-1", quality: 80 }).await? {
        println!("  context after post hooks: {:?}", ctx.metadata);
    }
    Ok(())
}
