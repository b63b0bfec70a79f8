//! The trainer seed: a simulated training loop whose events (train start/end, epoch start/end,
//! train batch end, validation end, checkpoint save, exception) are hook types, with callback
//! objects: built-in logging, checkpoint and early stopping, a user callback built by name from
//! `examples/trainer.toml`, and a flaky user callback whose one failure is reported without
//! stopping the loop. No ML library: the losses come from a seeded formula. Early stopping ends
//! the run after about ten epochs, in a few milliseconds.
//!
//! Run with `cargo run --example trainer`.

use std::fmt;
use std::time::Instant;

use hooks_runtime::prelude::*;
use hooks_runtime::{CallbackConfig, CallbackResult, Outcome, SharedCallback};

// ---------------------------------------------------------------------------------------------
// The events

/// A training batch's result.
#[derive(Debug)]
struct BatchEnd {
    epoch: u32,
    batch: u32,
    loss: f64,
}

/// A validation pass's result.
#[derive(Debug)]
struct Validation {
    epoch: u32,
    loss: f64,
    accuracy: f64,
}

/// Something that went wrong in the loop (here: a corrupt batch, skipped).
#[derive(Debug)]
struct TrainError {
    epoch: u32,
    batch: u32,
    message: &'static str,
}

impl fmt::Display for TrainError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "epoch {} batch {}: {}", self.epoch, self.batch, self.message)
    }
}

/// How the run ended.
#[derive(Debug)]
struct Summary {
    epochs: u32,
    best: Option<(u32, f64)>,
    stopped: Option<String>,
}

hook_type!(
    /// Once, before the first epoch.
    OnTrainStart
);
hook_type!(
    /// Once, after the last epoch.
    OnTrainEnd(Summary)
);
hook_type!(
    /// Before each epoch (epochs count from 1).
    OnEpochStart(u32)
);
hook_type!(
    /// After each epoch: its validation and checkpoint are done.
    OnEpochEnd(u32)
);
hook_type!(
    /// After each training batch.
    OnTrainBatchEnd(BatchEnd)
);
hook_type!(
    /// After each validation pass.
    OnValidationEnd(Validation)
);
hook_type!(
    /// After a checkpoint was saved, with its path.
    OnCheckpointSave(String)
);
hook_type!(
    /// When the loop hits an error it recovers from.
    OnException(TrainError)
);

// ---------------------------------------------------------------------------------------------
// The trainer

/// One epoch as the logging callback prints it.
#[derive(Debug)]
struct EpochRecord {
    epoch: u32,
    train_loss: f64,
    val_loss: f64,
    val_accuracy: f64,
    lr: f64,
    checkpoint: Option<String>,
}

/// A tiny linear congruential generator (Knuth's MMIX constants): the "noise" of the simulation.
struct Lcg(u64);

impl Lcg {
    /// A number in `[0, 1)`.
    fn next(&mut self) -> f64 {
        self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// A simulated trainer. Callbacks read and write its state: the learning-rate schedule sets `lr`,
/// the checkpoint callback sets `checkpoint_due`, the trainer reads both.
#[derive(Hooks)]
#[provides_hooks(
    OnTrainStart,
    OnTrainEnd,
    OnEpochStart,
    OnEpochEnd,
    OnTrainBatchEnd,
    OnValidationEnd,
    OnCheckpointSave,
    OnException
)]
struct Trainer {
    attached: AttachedHooks,
    max_epochs: u32,
    batches: u32,
    /// Where a corrupt batch is simulated.
    corrupt: (u32, u32),
    lr: f64,
    /// How far the simulated model got: the sum of the learning rates of the steps taken.
    progress: f64,
    rng: Lcg,
    history: Vec<EpochRecord>,
    /// Set by a callback when the epoch's weights are worth keeping; the trainer saves them.
    checkpoint_due: Option<String>,
    /// Set when a callback stopped an event's run: the loop ends after the epoch.
    stop: Option<String>,
    /// Batch losses sent by the metrics upload callback.
    uploaded: usize,
}

impl Trainer {
    fn new(seed: u64) -> Self {
        Trainer {
            attached: AttachedHooks::default(),
            max_epochs: 30,
            batches: 16,
            corrupt: (5, 9),
            lr: 0.01,
            progress: 0.0,
            rng: Lcg(seed),
            history: Vec::new(),
            checkpoint_due: None,
            stop: None,
            uploaded: 0,
        }
    }

    /// The loop: every event goes through the callbacks, user ones first.
    async fn fit(&mut self) -> Summary {
        self.fire::<OnTrainStart>(&()).await;
        for epoch in 1..=self.max_epochs {
            self.fire::<OnEpochStart>(&epoch).await;
            let train_loss = self.train_epoch(epoch).await;
            let validation = self.validate(epoch);
            self.history.push(EpochRecord {
                epoch,
                train_loss,
                val_loss: validation.loss,
                val_accuracy: validation.accuracy,
                lr: self.lr,
                checkpoint: None,
            });
            self.fire::<OnValidationEnd>(&validation).await;
            if let Some(path) = self.checkpoint_due.take() {
                // Saving is simulated: the path is recorded, nothing is written.
                if let Some(record) = self.history.last_mut() {
                    record.checkpoint = Some(path.clone());
                }
                self.fire::<OnCheckpointSave>(&path).await;
            }
            self.fire::<OnEpochEnd>(&epoch).await;
            if self.stop.is_some() {
                break;
            }
        }
        let best = self.history.iter().rev().find(|r| r.checkpoint.is_some()).map(|r| (r.epoch, r.val_loss));
        let summary = Summary { epochs: self.history.len() as u32, best, stopped: self.stop.clone() };
        self.fire::<OnTrainEnd>(&summary).await;
        summary
    }

    /// One epoch of simulated batches; returns the mean training loss.
    async fn train_epoch(&mut self, epoch: u32) -> f64 {
        let (mut total, mut counted) = (0.0, 0);
        for batch in 1..=self.batches {
            if (epoch, batch) == self.corrupt {
                let error = TrainError { epoch, batch, message: "corrupt batch (checksum mismatch), skipped" };
                self.fire::<OnException>(&error).await;
                continue;
            }
            self.progress += self.lr;
            let loss = 0.20 + 2.2 * (-0.5 * self.progress).exp() + 0.06 * (self.rng.next() - 0.5);
            (total, counted) = (total + loss, counted + 1);
            self.fire::<OnTrainBatchEnd>(&BatchEnd { epoch, batch, loss }).await;
        }
        total / f64::from(counted)
    }

    /// Validation: the training curve plus a slowly growing overfitting term.
    fn validate(&mut self, epoch: u32) -> Validation {
        let e = f64::from(epoch);
        let loss = 0.32 + 2.2 * (-0.5 * self.progress).exp() + 0.0015 * e * e + 0.03 * (self.rng.next() - 0.5);
        Validation { epoch, loss, accuracy: (1.02 - 0.45 * loss).clamp(0.0, 0.99) }
    }

    /// Runs the callbacks of `H`: a failure is reported (naming the callback and the event) and
    /// the loop goes on; a `Control::stop` ends the loop after this epoch.
    async fn fire<H: HookType>(&mut self, arg: &H::Arg) {
        // Untimed: the loop needs outcomes (failures, stops), not each callback's duration.
        let report = self.run_hooks_report::<H>(arg, RunSpec::new().untimed()).await;
        for error in report.errors() {
            println!("  ! {error} (training goes on)");
        }
        for hook in &report.hooks {
            if let Outcome::Stopped(reason) = &hook.outcome {
                self.stop.get_or_insert_with(|| format!("{} stopped {}: {reason}", hook.name, H::NAME));
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The callback family

/// A training callback: override the events you need; each gets the trainer (to read or change
/// its state) and the event's data, and may stop the run with `Ok(Control::stop(..))`.
trait TrainerCallback: Send {
    fn on_train_start(&mut self, _trainer: &mut Trainer) -> CallbackResult {
        Ok(Control::Continue)
    }
    fn on_train_end(&mut self, _trainer: &mut Trainer, _summary: &Summary) -> CallbackResult {
        Ok(Control::Continue)
    }
    fn on_epoch_start(&mut self, _trainer: &mut Trainer, _epoch: u32) -> CallbackResult {
        Ok(Control::Continue)
    }
    fn on_epoch_end(&mut self, _trainer: &mut Trainer, _epoch: u32) -> CallbackResult {
        Ok(Control::Continue)
    }
    fn on_train_batch_end(&mut self, _trainer: &mut Trainer, _batch: &BatchEnd) -> CallbackResult {
        Ok(Control::Continue)
    }
    fn on_validation_end(&mut self, _trainer: &mut Trainer, _validation: &Validation) -> CallbackResult {
        Ok(Control::Continue)
    }
    fn on_checkpoint_save(&mut self, _trainer: &mut Trainer, _path: &str) -> CallbackResult {
        Ok(Control::Continue)
    }
    fn on_exception(&mut self, _trainer: &mut Trainer, _error: &TrainError) -> CallbackResult {
        Ok(Control::Continue)
    }
}

/// The glue: one hook per event for each callback registered on a trainer.
impl CallbackHost for Trainer {
    type Callback = dyn TrainerCallback;

    fn attach_callback(&mut self, cb: &SharedCallback<dyn TrainerCallback>, spec: &HookSpec) -> Result<(), HookError> {
        cb.attach::<OnTrainStart, _, _>(self, spec, |cb, t, _| cb.on_train_start(t))?;
        cb.attach::<OnTrainEnd, _, _>(self, spec, |cb, t, summary| cb.on_train_end(t, summary))?;
        cb.attach::<OnEpochStart, _, _>(self, spec, |cb, t, epoch| cb.on_epoch_start(t, *epoch))?;
        cb.attach::<OnEpochEnd, _, _>(self, spec, |cb, t, epoch| cb.on_epoch_end(t, *epoch))?;
        cb.attach::<OnTrainBatchEnd, _, _>(self, spec, |cb, t, batch| cb.on_train_batch_end(t, batch))?;
        cb.attach::<OnValidationEnd, _, _>(self, spec, |cb, t, v| cb.on_validation_end(t, v))?;
        cb.attach::<OnCheckpointSave, _, _>(self, spec, |cb, t, path| cb.on_checkpoint_save(t, path))?;
        cb.attach::<OnException, _, _>(self, spec, |cb, t, error| cb.on_exception(t, error))
    }
}

// ---------------------------------------------------------------------------------------------
// Built-in callbacks (registered with `add_builtin_callback`: they run after every user callback)

/// Prints one table row per epoch, exceptions, and the summary.
struct Logging;

impl TrainerCallback for Logging {
    fn on_train_start(&mut self, trainer: &mut Trainer) -> CallbackResult {
        println!("training: up to {} epochs of {} batches", trainer.max_epochs, trainer.batches);
        println!("{:>5} {:>10} {:>9} {:>8} {:>7}  checkpoint", "epoch", "train loss", "val loss", "val acc", "lr");
        Ok(Control::Continue)
    }

    fn on_exception(&mut self, _trainer: &mut Trainer, error: &TrainError) -> CallbackResult {
        println!("  ! exception at {error}");
        Ok(Control::Continue)
    }

    fn on_epoch_end(&mut self, trainer: &mut Trainer, _epoch: u32) -> CallbackResult {
        if let Some(r) = trainer.history.last() {
            let note = match (&r.checkpoint, &trainer.stop) {
                (Some(path), _) => path.as_str(),
                (None, Some(_)) => "(early stop)",
                (None, None) => "",
            };
            let row = format!(
                "{:>5} {:>10.4} {:>9.4} {:>8.3} {:>7.4}  {note}",
                r.epoch, r.train_loss, r.val_loss, r.val_accuracy, r.lr
            );
            println!("{}", row.trim_end());
        }
        Ok(Control::Continue)
    }

    fn on_train_end(&mut self, trainer: &mut Trainer, summary: &Summary) -> CallbackResult {
        println!("finished after {} epochs; {} batch losses uploaded", summary.epochs, trainer.uploaded);
        if let Some((epoch, loss)) = summary.best {
            println!("best: epoch {epoch}, val loss {loss:.4}");
        }
        if let Some(why) = &summary.stopped {
            println!("stopped early: {why}");
        }
        Ok(Control::Continue)
    }
}

/// Asks for a checkpoint whenever the validation loss improves.
struct Checkpoint {
    dir: &'static str,
    best: f64,
}

impl TrainerCallback for Checkpoint {
    fn on_validation_end(&mut self, trainer: &mut Trainer, v: &Validation) -> CallbackResult {
        if v.loss < self.best {
            self.best = v.loss;
            trainer.checkpoint_due = Some(format!("{}/epoch-{:02}.bin", self.dir, v.epoch));
        }
        Ok(Control::Continue)
    }
}

/// Stops the run when the validation loss has not improved by `min_delta` for `patience` epochs.
struct EarlyStopping {
    patience: u32,
    min_delta: f64,
    best: f64,
    waited: u32,
}

impl TrainerCallback for EarlyStopping {
    fn on_validation_end(&mut self, _trainer: &mut Trainer, v: &Validation) -> CallbackResult {
        if v.loss < self.best - self.min_delta {
            (self.best, self.waited) = (v.loss, 0);
            return Ok(Control::Continue);
        }
        self.waited += 1;
        Ok(if self.waited >= self.patience {
            Control::stop(format!(
                "val loss has not improved by {} for {} epochs (best {:.4})",
                self.min_delta, self.patience, self.best
            ))
        } else {
            Control::Continue
        })
    }
}

// ---------------------------------------------------------------------------------------------
// User callbacks

/// Linear warm-up to `base_lr`, then exponential decay: writes the trainer's learning rate before
/// each epoch. Built by name from `trainer.toml`.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct LrSchedule {
    base_lr: f64,
    warmup_epochs: u32,
    decay: f64,
}

#[callback(name = "lr_schedule")]
impl TrainerCallback for LrSchedule {
    fn on_epoch_start(&mut self, trainer: &mut Trainer, epoch: u32) -> CallbackResult {
        trainer.lr = if epoch <= self.warmup_epochs {
            self.base_lr * f64::from(epoch) / f64::from(self.warmup_epochs.max(1))
        } else {
            self.base_lr * self.decay.powi((epoch - self.warmup_epochs) as i32)
        };
        Ok(Control::Continue)
    }
}

/// Buffers every batch's loss and "uploads" the buffer at the end of each epoch; its endpoint
/// times out once, and what it could not send goes with the next upload.
struct MetricsUpload {
    fail_at_epoch: u32,
    pending: Vec<(u32, u32, f64)>,
}

impl TrainerCallback for MetricsUpload {
    fn on_train_batch_end(&mut self, _trainer: &mut Trainer, b: &BatchEnd) -> CallbackResult {
        self.pending.push((b.epoch, b.batch, b.loss));
        Ok(Control::Continue)
    }

    fn on_epoch_end(&mut self, trainer: &mut Trainer, epoch: u32) -> CallbackResult {
        if epoch == self.fail_at_epoch {
            return Err(
                format!("metrics endpoint timed out; {} points kept for the next upload", self.pending.len()).into()
            );
        }
        trainer.uploaded += self.pending.drain(..).count();
        Ok(Control::Continue)
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    // `RUST_LOG=debug` shows each hook run with its component, duration and failures.
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_span_events(tracing_subscriber::fmt::format::FmtSpan::CLOSE)
        .init();
    let started = Instant::now();
    let mut trainer = Trainer::new(42);

    // Built-ins first here, yet they run last: user callbacks always come before them.
    trainer.add_builtin_callback("logging", Box::new(Logging))?;
    trainer.add_builtin_callback("checkpoint", Box::new(Checkpoint { dir: "ckpt", best: f64::INFINITY }))?;
    let early_stopping = EarlyStopping { patience: 3, min_delta: 0.005, best: f64::INFINITY, waited: 0 };
    trainer.add_builtin_callback("early_stopping", Box::new(early_stopping))?;

    let config = CallbackConfig::from_toml(include_str!("trainer.toml"))?;
    let ids = trainer.add_callbacks_from_config(&config)?;
    trainer.add_callback("metrics_upload", Box::new(MetricsUpload { fail_at_epoch: 3, pending: Vec::new() }))?;
    println!("from trainer.toml: {ids:?}");

    // A typo in a configuration is an error that lists the known names.
    let typo = CallbackConfig::from_toml("[[callbacks]]\nname = \"lr_shedule\"\n")?;
    if let Err(error) = trainer.add_callbacks_from_config(&typo) {
        println!("a typo is refused: {error}");
    }

    let order: Vec<_> = trainer.hooks::<OnValidationEnd>().into_iter().map(|h| h.method).collect();
    println!("callbacks in run order: {}", order.join(", "));
    println!();

    let summary = trainer.fit().await;
    assert!(summary.stopped.is_some(), "early stopping ends the run");
    println!("done in {:.1} ms", started.elapsed().as_secs_f64() * 1e3);
    Ok(())
}
