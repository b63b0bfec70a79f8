//! A component's lifecycle: THE transition table, in one place, and the operations that move a
//! component along it (initialize, start, the rollback of a failed start, stop), run by its task.
//!
//! ```text
//! Created ──► Initializing ──► Initialized ──► Starting ──► Running
//!                  │                │              │           │
//!                  └──────────► Failed ◄───────────┴───────────┘
//! Created, Initialized, Failed, Running ──► Stopping ──► Stopped
//! ```
//!
//! Every state change asks [`allowed`]: an operation the table refuses in the component's state
//! (start after stop, initialize twice) is `LifecycleError::InvalidState`, from here only.

use std::sync::Arc;

use hooks_core::LifecycleState::{self, *};
use hooks_core::{BackgroundTask, Hooks, HooksMixin, MultiError, OnInit, OnStart, OnStateChange, OnStop, RunOptions};
use hooks_core::{StateChange, StopReason};

use crate::bus::{DeadLetter, Delivery, Routes};
use crate::error::{LifecycleError, Recovered};
use crate::runtime::actor::{Activity, Actor};
use crate::task::Task;

/// Whether a component may go from `from` to `to`.
pub(crate) fn allowed(from: LifecycleState, to: LifecycleState) -> bool {
    matches!(
        (from, to),
        (Created, Initializing)
            | (Initializing, Initialized | Failed)
            | (Initialized, Starting | Failed)
            | (Starting, Running | Failed)
            // An `on_state_change` hook that fails on entering `Initialized` or `Running` fails
            // the start, like a startup hook.
            | (Running, Failed)
            | (Created | Initialized | Running | Failed, Stopping)
            | (Stopping, Stopped)
    )
}

impl<T: Hooks> Actor<T> {
    /// Moves to `to` if the table allows it (else `InvalidState` for `op`), publishes it and runs
    /// the `on_state_change` hooks. Returns their failures: the caller decides what they mean
    /// (fail-fast on the start path, collected on the stop path).
    async fn enter(&mut self, to: LifecycleState, op: &'static str) -> Result<MultiError, LifecycleError> {
        if !allowed(self.state, to) {
            return Err(LifecycleError::InvalidState { component: self.name.clone(), op, state: self.state });
        }
        if self.watch.is_cancelled() {
            // Cancelled past a stop budget: its handles read `Stopped` for good.
            return Ok(MultiError::default());
        }
        let change = StateChange { old: self.state, new: to };
        self.state = to;
        self.watch.state.send_replace(to);
        tracing::debug!(component = %self.name, old = ?change.old, new = ?to, "transition");
        // Most components have no `on_state_change` hook: no run to make then.
        if !self.component.has_hooks::<OnStateChange>() {
            return Ok(MultiError::default());
        }
        self.watch.set(Activity::OnStateChange);
        let options = RunOptions { budget: self.cap(), ..RunOptions::default() };
        Ok(self.component.run_hooks_with_options::<OnStateChange>(&change, options).await.err().unwrap_or_default())
    }

    /// A step of the start path: like an `on_init` or `on_start` hook, a failing `on_state_change`
    /// hook fails the start (with the rollback).
    async fn step(&mut self, to: LifecycleState, op: &'static str) -> Result<(), LifecycleError> {
        let failed = self.enter(to, op).await?;
        if failed.is_empty() {
            Ok(())
        } else {
            Err(self.fail(op, failed).await)
        }
    }

    pub(crate) async fn initialize(&mut self) -> Result<(), LifecycleError> {
        self.step(Initializing, "initialize").await?;
        self.watch.set(Activity::OnInit);
        if let Err(errors) = self.component.run_hooks::<OnInit>().await {
            return Err(self.fail("initialize", errors).await);
        }
        self.step(Initialized, "initialize").await
    }

    pub(crate) async fn start(&mut self) -> Result<(), LifecycleError> {
        if self.state == Created {
            self.initialize().await?;
        }
        self.step(Starting, "start").await?;
        self.watch.set(Activity::OnStart);
        if let Err(errors) = self.component.run_hooks::<OnStart>().await {
            return Err(self.fail("start", errors).await);
        }
        // The background tasks' intervals and the message routes are resolved now, from the
        // started component; a params closure that panics fails the start like a hook.
        let resolved = self
            .component
            .try_hooks::<BackgroundTask>()
            .and_then(|tasks| Ok((tasks, Routes::try_of(&self.component)?)));
        match resolved {
            Ok((tasks, routes)) => {
                self.tasks = Task::schedule(tasks, tokio::time::Instant::now());
                // Nothing was pulled before: no queue to leave.
                let _ = self.subscribe(routes);
                self.step(Running, "start").await
            }
            Err(error) => Err(self.fail("start", MultiError::from(error)).await),
        }
    }

    /// A startup hook failed: `Failed`; what the mailbox (and a work queue it was the last
    /// puller of) holds is handed back, since nothing of the component runs after its rollback;
    /// then the `on_stop` hooks in reverse as the rollback.
    async fn fail(&mut self, op: &'static str, mut errors: MultiError) -> LifecycleError {
        match self.enter(Failed, op).await {
            Ok(failed) => failed.into_iter().for_each(|e| errors.push(e)),
            Err(err) => tracing::error!(component = %self.name, %err, "not moved to Failed"),
        }
        let errors = Arc::new(errors);
        self.tasks.clear();
        self.mail_rx.close();
        let mut unhandled = Vec::new();
        while let Some(delivery) = self.mail_rx.recv().await {
            match delivery {
                // Dropped unhandled, a call hands its message back to its caller.
                Delivery::Call(call) => drop(call),
                Delivery::Message(message) | Delivery::Pull(message) => unhandled.push(message),
            }
        }
        for queue in self.unsubscribe() {
            // Unhandled here: a transport that waits for it (JetStream) has it redelivered.
            unhandled.extend(queue.close_and_drain().await.into_iter().map(|work| work.message));
        }
        for message in unhandled {
            self.bus.dead_letter(DeadLetter { component: self.name.clone(), message, errors: (*errors).clone() });
        }
        let reason = StopReason::Failed(errors.clone());
        self.watch.set(Activity::OnStop);
        let rollback = self.component.run_hooks_reversed_with::<OnStop>(&reason).await.err();
        self.rolled_back = true;
        LifecycleError::Hooks { component: self.name.clone(), op, errors, rollback, recovered: Recovered::default() }
    }

    /// Cancels tasks, handles every message accepted before (the mailbox, and the work queues it
    /// was the last puller of), runs the `on_stop` hooks in reverse (unless a rollback already
    /// ran them). With a budget, every hook run here is capped at what is left of it, and the
    /// `on_stop` hooks get `StopReason::TimedOut` if none is left when they begin. The failures of
    /// the `on_stop` and `on_state_change` hooks are collected, in the order they ran.
    pub(crate) async fn stop(&mut self, reason: StopReason) -> Result<(), MultiError> {
        if self.state == Stopped {
            return Ok(());
        }
        // From here a send fails and hands its message back; what was accepted is handled below.
        self.mail_rx.close();
        let last_queues = self.unsubscribe();
        self.tasks.clear();
        self.context.cancel_tasks().await;
        let mut errors = MultiError::default();
        match self.enter(Stopping, "stop").await {
            Ok(failed) => failed.into_iter().for_each(|e| errors.push(e)),
            Err(err) => tracing::error!(component = %self.name, %err, "stop transition refused"),
        }
        // Until `None`: a sender that was granted room before the close may still be writing.
        while let Some(delivery) = self.mail_rx.recv().await {
            self.deliver(delivery).await;
        }
        for queue in last_queues {
            for work in queue.close_and_drain().await {
                self.deliver_work(work).await;
            }
        }
        if !self.rolled_back {
            self.watch.set(Activity::OnStop);
            let budget = self.cap();
            let reason = if budget == Some(std::time::Duration::ZERO) { StopReason::TimedOut } else { reason };
            let options = RunOptions { reversed: true, budget, ..RunOptions::default() };
            if let Err(failed) = self.component.run_hooks_with_options::<OnStop>(&reason, options).await {
                failed.into_iter().for_each(|e| errors.push(e));
            }
        }
        match self.enter(Stopped, "stop").await {
            Ok(failed) => failed.into_iter().for_each(|e| errors.push(e)),
            Err(err) => tracing::error!(component = %self.name, %err, "stop transition refused"),
        }
        errors.into_result()
    }
}
