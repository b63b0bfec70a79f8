//! Callback objects (hooks-core/src/callback.rs): `CallbackHost`, `Callbacks` (user callbacks
//! before built-ins), `#[callback(name = "..")]`, `CallbackConfig` from TOML and JSON, its errors,
//! early stops, failures and panics reported by callback id and event, state shared through the
//! host, and `SharedCallback::with`.

use hooks_runtime::prelude::*;
use hooks_runtime::{
    build_callback, callback_names, CallbackConfig, CallbackResult, ConfigError, Outcome, RunReport, SharedCallback,
    BUILTIN_CALLBACK_PRIORITY, USER_CALLBACK_PRIORITY,
};

hook_type!(pub OnEpochEnd(u32));
hook_type!(pub OnTrainEnd);

#[derive(Hooks, Default)]
#[provides_hooks(OnEpochEnd, OnTrainEnd)]
pub struct Trainer {
    attached: AttachedHooks,
    /// Turns the trainer's own static `OnEpochEnd` hook on.
    verbose: bool,
    pub log: Vec<String>,
    /// Written by `loss`, read by `early_stopping`: state shared through the host.
    pub losses: Vec<f64>,
}

#[hooks]
impl Trainer {
    #[hook(OnEpochEnd)]
    fn own_epoch_end(&mut self, epoch: &u32) {
        if self.verbose {
            self.log.push(format!("trainer {epoch}"));
        }
    }
}

/// The callback family of `Trainer`.
pub trait TrainerCallback: Send {
    fn on_epoch_end(&mut self, _trainer: &mut Trainer, _epoch: &u32) -> CallbackResult {
        Ok(Control::Continue)
    }
    fn on_train_end(&mut self, _trainer: &mut Trainer) -> CallbackResult {
        Ok(Control::Continue)
    }
    /// The callback's own state, for `SharedCallback::with`.
    fn state(&self) -> String {
        String::new()
    }
}

impl CallbackHost for Trainer {
    type Callback = dyn TrainerCallback;
    fn attach_callback(&mut self, cb: &SharedCallback<dyn TrainerCallback>, spec: &HookSpec) -> Result<(), HookError> {
        cb.attach::<OnEpochEnd, _, _>(self, spec, |cb, t, epoch| cb.on_epoch_end(t, epoch))?;
        cb.attach::<OnTrainEnd, _, _>(self, spec, |cb, t, _| cb.on_train_end(t))
    }
}

/// Logs every event under its tag; counts its calls.
#[derive(serde::Deserialize, Default)]
struct Recorder {
    #[serde(default)]
    tag: String,
    #[serde(skip)]
    calls: u32,
}

#[callback(name = "recorder")]
impl TrainerCallback for Recorder {
    fn on_epoch_end(&mut self, t: &mut Trainer, epoch: &u32) -> CallbackResult {
        self.calls += 1;
        t.log.push(format!("{} {epoch}", self.tag));
        Ok(Control::Continue)
    }
    fn on_train_end(&mut self, t: &mut Trainer) -> CallbackResult {
        t.log.push(format!("{} end", self.tag));
        Ok(Control::Continue)
    }
    fn state(&self) -> String {
        format!("{} calls", self.calls)
    }
}

fn recorder(tag: &str) -> Box<dyn TrainerCallback> {
    Box::new(Recorder { tag: tag.to_owned(), calls: 0 })
}

/// Stops the run from epoch `at` on.
#[derive(serde::Deserialize)]
struct Stopper {
    at: u32,
}

#[callback(name = "stopper")]
impl TrainerCallback for Stopper {
    fn on_epoch_end(&mut self, t: &mut Trainer, epoch: &u32) -> CallbackResult {
        t.log.push(format!("stopper {epoch}"));
        Ok(if *epoch >= self.at { Control::stop(format!("reached epoch {epoch}")) } else { Control::Continue })
    }
}

/// Fails on epoch `on`.
#[derive(serde::Deserialize)]
struct Failer {
    on: u32,
}

#[callback(name = "failer")]
impl TrainerCallback for Failer {
    fn on_epoch_end(&mut self, t: &mut Trainer, epoch: &u32) -> CallbackResult {
        t.log.push(format!("failer {epoch}"));
        if *epoch == self.on {
            return Err(format!("metrics unavailable at epoch {epoch}").into());
        }
        Ok(Control::Continue)
    }
}

/// Panics on epoch `on`; counts the epochs it saw.
#[derive(serde::Deserialize)]
struct Panicker {
    on: u32,
    #[serde(skip)]
    seen: u32,
}

#[callback(name = "panicker")]
impl TrainerCallback for Panicker {
    fn on_epoch_end(&mut self, t: &mut Trainer, epoch: &u32) -> CallbackResult {
        self.seen += 1;
        assert_ne!(*epoch, self.on, "panicker gives up");
        t.log.push(format!("panicker {epoch}"));
        Ok(Control::Continue)
    }
    fn state(&self) -> String {
        format!("seen {}", self.seen)
    }
}

/// Writes the epoch's loss into the host: `losses[epoch - 1]`.
#[derive(serde::Deserialize)]
struct Loss {
    curve: Vec<f64>,
}

#[callback(name = "loss")]
impl TrainerCallback for Loss {
    fn on_epoch_end(&mut self, t: &mut Trainer, epoch: &u32) -> CallbackResult {
        t.losses.push(self.curve[*epoch as usize - 1]);
        Ok(Control::Continue)
    }
}

/// Reads the losses another callback wrote into the host; stops after `patience` epochs
/// without improvement.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct EarlyStopping {
    patience: u32,
    #[serde(skip)]
    best: Option<f64>,
    #[serde(skip)]
    waited: u32,
}

#[callback(name = "early_stopping")]
impl TrainerCallback for EarlyStopping {
    fn on_epoch_end(&mut self, t: &mut Trainer, epoch: &u32) -> CallbackResult {
        let Some(&loss) = t.losses.last() else { return Err("no loss recorded".into()) };
        if self.best.is_none_or(|best| loss < best) {
            self.best = Some(loss);
            self.waited = 0;
        } else {
            self.waited += 1;
        }
        t.log.push(format!("early_stopping {epoch} loss={loss} waited={}", self.waited));
        Ok(if self.waited >= self.patience { Control::stop("no improvement") } else { Control::Continue })
    }
    fn state(&self) -> String {
        format!("best={:?} waited={}", self.best, self.waited)
    }
}

/// Another family with a callback of the same name: names are per family.
pub trait EvalCallback: Send {
    fn label(&self) -> String;
}

#[derive(serde::Deserialize)]
struct EvalRecorder {
    label: String,
}

#[callback(name = "recorder")]
impl EvalCallback for EvalRecorder {
    fn label(&self) -> String {
        self.label.clone()
    }
}

#[derive(serde::Deserialize)]
struct EvalOnly;

#[callback(name = "eval_only")]
impl EvalCallback for EvalOnly {
    fn label(&self) -> String {
        "eval only".into()
    }
}

fn outcomes(report: &RunReport) -> Vec<(String, &'static str)> {
    report.hooks.iter().map(|h| (h.name.to_string(), h.outcome.label())).collect()
}

fn pairs(v: &[(&str, &'static str)]) -> Vec<(String, &'static str)> {
    v.iter().map(|(n, o)| (n.to_string(), *o)).collect()
}

async fn epoch(t: &mut Trainer, n: u32) -> RunReport {
    t.run_hooks_report::<OnEpochEnd>(&n, RunSpec::new()).await
}

fn config_error(t: &mut Trainer, toml: &str) -> ConfigError {
    let config = CallbackConfig::from_toml(toml).expect("valid TOML");
    t.add_callbacks_from_config(&config).expect_err("the config should be refused")
}

#[tokio::test]
async fn user_callbacks_run_before_builtins_each_group_in_registration_order() {
    let mut t = Trainer::default();
    t.add_builtin_callback("b1", recorder("b1")).unwrap();
    t.add_callback("u1", recorder("u1")).unwrap();
    t.add_builtin_callback("b2", recorder("b2")).unwrap();
    t.add_callback("u2", recorder("u2")).unwrap();
    let report = epoch(&mut t, 1).await;
    assert!(report.is_ok());
    assert_eq!(t.log, ["u1 1", "u2 1", "b1 1", "b2 1"]);
    let listed: Vec<_> = t.hooks::<OnEpochEnd>().iter().map(|h| (h.method.to_string(), h.priority)).collect();
    assert_eq!(
        listed,
        [
            ("own_epoch_end".to_owned(), 0),
            ("u1".to_owned(), USER_CALLBACK_PRIORITY),
            ("u2".to_owned(), USER_CALLBACK_PRIORITY),
            ("b1".to_owned(), BUILTIN_CALLBACK_PRIORITY),
            ("b2".to_owned(), BUILTIN_CALLBACK_PRIORITY),
        ]
    );
    // Every event of the family is attached under the same id, in the same order.
    t.log.clear();
    t.run_hooks::<OnTrainEnd>().await.unwrap();
    assert_eq!(t.log, ["u1 end", "u2 end", "b1 end", "b2 end"]);
}

#[tokio::test]
async fn the_hosts_own_static_hooks_run_before_user_callbacks() {
    let mut t = Trainer { verbose: true, ..Default::default() };
    t.add_builtin_callback("b", recorder("b")).unwrap();
    t.add_callback("u", recorder("u")).unwrap();
    epoch(&mut t, 4).await;
    assert_eq!(t.log, ["trainer 4", "u 4", "b 4"]);
}

#[tokio::test]
async fn adding_an_id_again_replaces_that_callback_in_place() {
    let mut t = Trainer::default();
    t.add_callback("x", recorder("old x")).unwrap();
    t.add_callback("y", recorder("y")).unwrap();
    t.add_callback("x", recorder("new x")).unwrap();
    epoch(&mut t, 1).await;
    assert_eq!(t.log, ["new x 1", "y 1"]);
}

const TOML: &str = r#"
[[callbacks]]
name = "recorder"
settings = { tag = "rec" }

[[callbacks]]
name = "stopper"
settings = { at = 2 }
"#;

const JSON: &str = r#"{"callbacks": [
    {"name": "recorder", "settings": {"tag": "rec"}},
    {"name": "stopper", "settings": {"at": 2}}
]}"#;

#[tokio::test]
async fn callbacks_from_toml_and_from_json_are_user_callbacks_in_listed_order() {
    for config in [CallbackConfig::from_toml(TOML).unwrap(), CallbackConfig::from_json(JSON).unwrap()] {
        let mut t = Trainer::default();
        t.add_builtin_callback("builtin", recorder("builtin")).unwrap();
        assert_eq!(t.add_callbacks_from_config(&config).unwrap(), ["recorder", "stopper"]);
        let report = epoch(&mut t, 1).await;
        assert_eq!(report.stopped(), None);
        epoch(&mut t, 2).await;
        assert_eq!(t.log, ["rec 1", "stopper 1", "builtin 1", "rec 2", "stopper 2"]);
    }
}

#[test]
fn malformed_documents_are_parse_errors() {
    let e = CallbackConfig::from_toml("[[callbacks]]\nname = \n").unwrap_err();
    assert!(matches!(&e, ConfigError::Parse { format: "TOML", .. }), "{e:?}");
    assert!(e.to_string().starts_with("invalid TOML callback configuration: "), "{e}");
    let e = CallbackConfig::from_toml("[[callbacks]]\nname = \"recorder\"\nsetings = {}\n").unwrap_err();
    assert!(e.to_string().contains("setings"), "unknown keys are refused: {e}");
    let e = CallbackConfig::from_json(r#"{"callbacks": [{"id": "x"}]}"#).unwrap_err();
    assert!(
        matches!(&e, ConfigError::Parse { format: "JSON", message } if message.contains("missing field `name`")),
        "{e}"
    );
    assert!(CallbackConfig::from_json("{}").unwrap().callbacks.is_empty());
}

#[test]
fn an_unknown_name_lists_the_known_names_of_the_family() {
    let mut t = Trainer::default();
    let e = config_error(&mut t, "[[callbacks]]\nname = \"stoper\"\n");
    let ConfigError::UnknownCallback { name, family, known } = &e else { panic!("{e:?}") };
    assert_eq!(name, "stoper");
    assert_eq!(*family, std::any::type_name::<dyn TrainerCallback>());
    assert_eq!(known, &["early_stopping", "failer", "loss", "panicker", "recorder", "stopper"]);
    assert!(
        e.to_string().ends_with("known callbacks: early_stopping, failer, loss, panicker, recorder, stopper"),
        "{e}"
    );
    assert!(t.hooks::<OnEpochEnd>().iter().all(|h| !h.attached));
}

#[test]
fn names_are_per_family() {
    assert_eq!(callback_names::<dyn EvalCallback>(), ["eval_only", "recorder"]);
    let eval = build_callback::<dyn EvalCallback>("recorder", &serde_json::json!({"label": "acc"})).unwrap();
    assert_eq!(eval.label(), "acc");
    let e = build_callback::<dyn TrainerCallback>("eval_only", &serde_json::json!({})).err().unwrap();
    assert!(matches!(&e, ConfigError::UnknownCallback { name, .. } if name == "eval_only"), "{e:?}");
    let rec = build_callback::<dyn TrainerCallback>("recorder", &serde_json::json!({"tag": "t"})).unwrap();
    assert_eq!(rec.state(), "0 calls");
}

#[test]
fn a_callback_without_settings_can_be_a_unit_struct() {
    // An entry without settings has an empty table; a unit struct is built from it all the same.
    let config = CallbackConfig::from_toml("[[callbacks]]\nname = \"eval_only\"\n").unwrap();
    let entry = &config.callbacks[0];
    let built = build_callback::<dyn EvalCallback>(&entry.name, &entry.settings).unwrap();
    assert_eq!(built.label(), "eval only");
    let built = build_callback::<dyn EvalCallback>("eval_only", &serde_json::Value::Null).unwrap();
    assert_eq!(built.label(), "eval only");
    // Settings it does not have are still refused.
    let e = build_callback::<dyn EvalCallback>("eval_only", &serde_json::json!({"x": 1})).err().unwrap();
    assert!(matches!(&e, ConfigError::BadSettings { type_name: "EvalOnly", .. }), "{e:?}");
}

#[test]
fn bad_settings_name_the_callback_and_its_struct() {
    let mut t = Trainer::default();
    let e = config_error(&mut t, "[[callbacks]]\nname = \"stopper\"\nsettings = { at = \"two\" }\n");
    let ConfigError::BadSettings { name, type_name, message } = &e else { panic!("{e:?}") };
    assert_eq!((name.as_str(), *type_name), ("stopper", "Stopper"));
    assert!(message.contains("invalid type: string \"two\", expected u32"), "{message}");
    assert!(e.to_string().starts_with("bad settings for callback `stopper` (Stopper): invalid type"), "{e}");

    // No settings at all: an empty table, missing the required field.
    let e = config_error(&mut t, "[[callbacks]]\nname = \"stopper\"\n");
    assert!(
        matches!(&e, ConfigError::BadSettings { type_name: "Stopper", message, .. } if message.contains("missing field `at`")),
        "{e:?}"
    );
    // The struct's own serde rules apply.
    let e =
        config_error(&mut t, "[[callbacks]]\nname = \"early_stopping\"\nsettings = { patience = 1, pateince = 2 }\n");
    assert!(
        matches!(&e, ConfigError::BadSettings { type_name: "EarlyStopping", message, .. } if message.contains("pateince")),
        "{e:?}"
    );
}

#[test]
fn duplicate_ids_are_refused_unless_given_another_id_or_disabled() {
    let mut t = Trainer::default();
    let e = config_error(&mut t, "[[callbacks]]\nname = \"recorder\"\n[[callbacks]]\nname = \"recorder\"\n");
    assert!(matches!(&e, ConfigError::Duplicate { id } if id == "recorder"), "{e:?}");
    assert_eq!(e.to_string(), "two callbacks have the id `recorder`; give one of them another `id`");
    let e = config_error(
        &mut t,
        "[[callbacks]]\nname = \"recorder\"\nid = \"x\"\n[[callbacks]]\nname = \"stopper\"\nid = \"x\"\nsettings = { at = 1 }\n",
    );
    assert!(matches!(&e, ConfigError::Duplicate { id } if id == "x"), "{e:?}");

    let ok = CallbackConfig::from_toml(
        r#"
        [[callbacks]]
        name = "recorder"
        [[callbacks]]
        name = "recorder"
        id = "recorder-2"
        [[callbacks]]
        name = "recorder"
        enabled = false
        "#,
    )
    .unwrap();
    assert_eq!(t.add_callbacks_from_config(&ok).unwrap(), ["recorder", "recorder-2"]);
}

#[tokio::test]
async fn disabled_entries_are_skipped() {
    let mut t = Trainer::default();
    let config = CallbackConfig::from_toml(
        r#"
        [[callbacks]]
        name = "stopper"
        enabled = false
        settings = { at = 1 }

        [[callbacks]]
        name = "recorder"
        settings = { tag = "on" }
        "#,
    )
    .unwrap();
    assert_eq!(t.add_callbacks_from_config(&config).unwrap(), ["recorder"]);
    let report = epoch(&mut t, 1).await;
    assert_eq!(outcomes(&report), pairs(&[("own_epoch_end", "ok"), ("recorder", "ok")]));
    assert_eq!(t.log, ["on 1"]);
}

#[tokio::test]
async fn an_id_names_the_callbacks_hooks_and_its_failures() {
    let mut t = Trainer::default();
    let config = CallbackConfig::from_json(
        r#"{"callbacks": [
            {"name": "failer", "id": "flaky-metrics", "settings": {"on": 2}},
            {"name": "recorder", "id": "rec", "settings": {"tag": "rec"}}
        ]}"#,
    )
    .unwrap();
    assert_eq!(t.add_callbacks_from_config(&config).unwrap(), ["flaky-metrics", "rec"]);
    let names: Vec<_> = t.hooks::<OnTrainEnd>().iter().map(|h| h.method.to_string()).collect();
    assert_eq!(names, ["flaky-metrics", "rec"]);
    let report = epoch(&mut t, 2).await;
    let errors: Vec<_> = report.errors().collect();
    assert_eq!(errors.len(), 1);
    assert!(
        matches!(errors[0], HookError::Failed { owner: "Trainer", method, hook_type: "OnEpochEnd", source }
            if method == "flaky-metrics" && source.to_string() == "metrics unavailable at epoch 2"),
        "{:?}",
        errors[0]
    );
    assert_eq!(
        errors[0].to_string(),
        "hook `Trainer::flaky-metrics` (OnEpochEnd) failed: metrics unavailable at epoch 2"
    );
    // The other callback still ran.
    assert_eq!(t.log, ["failer 2", "rec 2"]);
    assert_eq!(outcomes(&report), pairs(&[("own_epoch_end", "ok"), ("flaky-metrics", "failed"), ("rec", "ok")]));
    // The id also disables it.
    t.disable_hook::<OnEpochEnd>("flaky-metrics").unwrap();
    let report = epoch(&mut t, 2).await;
    assert!(report.is_ok());
    assert_eq!(outcomes(&report), pairs(&[("own_epoch_end", "ok"), ("flaky-metrics", "disabled"), ("rec", "ok")]));
}

#[tokio::test]
async fn a_stop_ends_the_run_and_later_callbacks_are_not_reached() {
    let mut t = Trainer::default();
    t.add_builtin_callback("builtin", recorder("builtin")).unwrap();
    t.add_callbacks_from_config(&CallbackConfig::from_toml(TOML).unwrap()).unwrap();
    t.add_callback("late", recorder("late")).unwrap();
    let report = epoch(&mut t, 3).await;
    assert_eq!(report.stopped(), Some(("stopper", "reached epoch 3")));
    assert!(report.is_ok(), "an early stop is not a failure");
    assert_eq!(
        outcomes(&report),
        pairs(&[
            ("own_epoch_end", "ok"),
            ("recorder", "ok"),
            ("stopper", "stopped"),
            ("late", "not reached"),
            ("builtin", "not reached"),
        ])
    );
    assert!(matches!(&report.hooks[2].outcome, Outcome::Stopped(reason) if reason == "reached epoch 3"));
    assert_eq!(t.log, ["rec 3", "stopper 3"]);
}

#[tokio::test]
async fn a_failing_callback_is_reported_and_the_others_still_run() {
    let mut t = Trainer::default();
    t.add_builtin_callback("builtin", recorder("builtin")).unwrap();
    t.add_callback("failer", build_callback::<dyn TrainerCallback>("failer", &serde_json::json!({"on": 1})).unwrap())
        .unwrap();
    t.add_callback("after", recorder("after")).unwrap();
    let report = epoch(&mut t, 1).await;
    assert_eq!(
        outcomes(&report),
        pairs(&[("own_epoch_end", "ok"), ("failer", "failed"), ("after", "ok"), ("builtin", "ok")])
    );
    let e = report.errors().next().unwrap();
    assert_eq!((e.owner(), e.method(), e.hook_type()), ("Trainer", "failer", "OnEpochEnd"));
    assert_eq!(t.log, ["failer 1", "after 1", "builtin 1"]);
    let e = report.into_result().unwrap_err();
    assert_eq!(e.len(), 1);
}

#[tokio::test]
async fn a_panicking_callback_is_caught_and_keeps_working_afterwards() {
    let mut t = Trainer::default();
    let config = CallbackConfig::from_toml(
        "[[callbacks]]\nname = \"panicker\"\nsettings = { on = 1 }\n[[callbacks]]\nname = \"recorder\"\nsettings = { tag = \"r\" }\n",
    )
    .unwrap();
    t.add_callbacks_from_config(&config).unwrap();
    let report = epoch(&mut t, 1).await;
    let e = report.errors().next().expect("the panic is reported");
    assert!(
        matches!(e, HookError::Panicked { owner: "Trainer", method, hook_type: "OnEpochEnd", message }
            if method == "panicker" && message == "assertion `left != right` failed: panicker gives up\n  left: 1\n right: 1"),
        "{e:?}"
    );
    assert_eq!(t.log, ["r 1"]);
    // Its lock was poisoned by the panic: the next event still reaches it.
    let report = epoch(&mut t, 2).await;
    assert!(report.is_ok());
    assert_eq!(t.log, ["r 1", "panicker 2", "r 2"]);
}

#[tokio::test]
async fn callbacks_share_state_through_the_host() {
    let mut t = Trainer::default();
    let config = CallbackConfig::from_toml(
        r#"
        [[callbacks]]
        name = "loss"
        settings = { curve = [1.0, 0.5, 0.6, 0.7, 0.1] }

        [[callbacks]]
        name = "early_stopping"
        settings = { patience = 2 }
        "#,
    )
    .unwrap();
    t.add_callbacks_from_config(&config).unwrap();
    let mut stopped_at = None;
    for n in 1..=5 {
        if let Some((by, reason)) = epoch(&mut t, n).await.stopped() {
            stopped_at = Some((n, by.to_owned(), reason.to_owned()));
            break;
        }
    }
    assert_eq!(stopped_at, Some((4, "early_stopping".to_owned(), "no improvement".to_owned())));
    assert_eq!(t.losses, [1.0, 0.5, 0.6, 0.7]);
    assert_eq!(
        t.log,
        [
            "early_stopping 1 loss=1 waited=0",
            "early_stopping 2 loss=0.5 waited=0",
            "early_stopping 3 loss=0.6 waited=1",
            "early_stopping 4 loss=0.7 waited=2",
        ]
    );
}

#[tokio::test]
async fn shared_callback_with_reads_a_callbacks_state() {
    let mut t = Trainer::default();
    let rec = t.add_callback("rec", recorder("r")).unwrap();
    let early = t
        .add_builtin_callback(
            "early",
            Box::new(EarlyStopping { patience: 10, best: None, waited: 0 }) as Box<dyn TrainerCallback>,
        )
        .unwrap();
    t.add_callback("loss", Box::new(Loss { curve: vec![3.0, 2.0, 2.5] })).unwrap();
    for n in 1..=3 {
        epoch(&mut t, n).await;
    }
    assert_eq!(rec.with(|cb| cb.state()), "3 calls");
    assert_eq!(early.with(|cb| cb.state()), "best=Some(2.0) waited=1");
    // The handle is the registered object: changing it through `with` changes what runs.
    let panicky = t
        .add_callback("p", build_callback::<dyn TrainerCallback>("panicker", &serde_json::json!({"on": 4})).unwrap())
        .unwrap();
    epoch(&mut t, 4).await;
    assert_eq!(panicky.with(|cb| cb.state()), "seen 1", "readable after its panic");
}

#[tokio::test]
async fn nothing_is_registered_when_one_entry_fails() {
    let mut t = Trainer::default();
    t.add_callback("existing", recorder("existing")).unwrap();
    let before: Vec<_> = t.hooks::<OnEpochEnd>().iter().map(|h| h.method.to_string()).collect();
    for bad in [
        "[[callbacks]]\nname = \"recorder\"\n[[callbacks]]\nname = \"nope\"\n",
        "[[callbacks]]\nname = \"recorder\"\n[[callbacks]]\nname = \"stopper\"\nsettings = { at = -1 }\n",
        "[[callbacks]]\nname = \"recorder\"\n[[callbacks]]\nname = \"stopper\"\nsettings = { at = 1 }\n[[callbacks]]\nname = \"recorder\"\n",
        // Replacing an existing id, then failing: the existing callback stays as it was.
        "[[callbacks]]\nname = \"recorder\"\nid = \"existing\"\nsettings = { tag = \"replaced\" }\n[[callbacks]]\nname = \"nope\"\n",
    ] {
        config_error(&mut t, bad);
        let now: Vec<_> = t.hooks::<OnEpochEnd>().iter().map(|h| h.method.to_string()).collect();
        assert_eq!(now, before, "after {bad:?}");
    }
    epoch(&mut t, 1).await;
    assert_eq!(t.log, ["existing 1"]);
}

// ---- a host whose glue attaches an event it does not provide: attaching fails half-way.

#[derive(Hooks, Default)]
#[provides_hooks(OnEpochEnd)]
pub struct HalfHost {
    attached: AttachedHooks,
    log: Vec<String>,
}

pub trait HalfCallback: Send {
    fn on_epoch_end(&mut self, _host: &mut HalfHost, _epoch: &u32) {}
    fn on_train_end(&mut self, _host: &mut HalfHost) {}
}

impl CallbackHost for HalfHost {
    type Callback = dyn HalfCallback;
    fn attach_callback(&mut self, cb: &SharedCallback<dyn HalfCallback>, spec: &HookSpec) -> Result<(), HookError> {
        cb.attach::<OnEpochEnd, _, _>(self, spec, |cb, h, e| cb.on_epoch_end(h, e))?;
        cb.attach::<OnTrainEnd, _, _>(self, spec, |cb, h, _| cb.on_train_end(h))
    }
}

#[derive(serde::Deserialize)]
struct Half {}

#[callback(name = "half")]
impl HalfCallback for Half {
    fn on_epoch_end(&mut self, host: &mut HalfHost, epoch: &u32) {
        host.log.push(format!("half {epoch}"));
    }
}

#[tokio::test]
async fn a_callback_the_host_cannot_attach_is_an_error_and_leaves_nothing_attached() {
    let mut h = HalfHost::default();
    let config = CallbackConfig::from_toml("[[callbacks]]\nname = \"half\"\n").unwrap();
    let e = h.add_callbacks_from_config(&config).unwrap_err();
    let ConfigError::Attach { id, source } = &e else { panic!("{e:?}") };
    assert_eq!(id, "half");
    assert!(matches!(source, HookError::Unsupported { owner: "HalfHost", hook_type: "OnTrainEnd", .. }), "{source:?}");
    assert!(e.to_string().starts_with("callback `half` could not be attached: `HalfHost` does not provide"), "{e}");
    assert!(h.hooks::<OnEpochEnd>().is_empty(), "half-attached: {:?}", h.hooks::<OnEpochEnd>());

    let e = h.add_callback("direct", Box::new(Half {})).err().expect("refused");
    assert!(matches!(e, HookError::Unsupported { hook_type: "OnTrainEnd", .. }), "{e:?}");
    assert!(h.hooks::<OnEpochEnd>().is_empty(), "half-attached: {:?}", h.hooks::<OnEpochEnd>());
    h.run_hooks_with::<OnEpochEnd>(&1).await.unwrap();
    assert!(h.log.is_empty(), "{:?}", h.log);
}

// ---- at scale (issue #11 item 9): each add used to clone the host's whole attached-hook store.

fn recorders_config(ids: impl Iterator<Item = String>) -> String {
    let entries: Vec<String> =
        ids.map(|id| format!(r#"{{"name": "recorder", "id": "{id}", "settings": {{"tag": "{id}"}}}}"#)).collect();
    format!(r#"{{"callbacks": [{}]}}"#, entries.join(","))
}

#[tokio::test]
async fn twenty_thousand_config_entries_are_all_attached_in_listed_order() {
    const N: usize = 20_000;
    let mut t = Trainer::default();
    let config = CallbackConfig::from_json(&recorders_config((0..N).map(|i| format!("r{i}")))).unwrap();
    let ids = t.add_callbacks_from_config(&config).unwrap();
    assert_eq!(ids.len(), N);
    assert!(ids.iter().enumerate().all(|(i, id)| *id == format!("r{i}")), "ids in listed order");
    let listed: Vec<_> = t.hooks::<OnEpochEnd>().into_iter().map(|h| h.method).collect();
    assert_eq!(listed.len(), N + 1);
    assert_eq!(listed[0], "own_epoch_end");
    assert!(listed[1..].iter().enumerate().all(|(i, m)| *m == format!("r{i}")), "hooks in listed order");
    assert!(epoch(&mut t, 1).await.is_ok());
    assert_eq!(t.log.len(), N);
    assert!(t.log.iter().enumerate().all(|(i, line)| *line == format!("r{i} 1")), "run in listed order");
    t.log.clear();
    t.run_hooks::<OnTrainEnd>().await.unwrap();
    assert_eq!(t.log.len(), N, "every event of each callback attached");
}

// A host that refuses callbacks whose id starts with `refused`, after attaching their first event.

hook_type!(pub OnNever);

#[derive(Hooks, Default)]
#[provides_hooks(OnEpochEnd, OnTrainEnd)]
pub struct PickyHost {
    attached: AttachedHooks,
    log: Vec<String>,
}

pub trait PickyCallback: Send {
    fn on_epoch_end(&mut self, host: &mut PickyHost, epoch: &u32);
}

impl CallbackHost for PickyHost {
    type Callback = dyn PickyCallback;
    fn attach_callback(&mut self, cb: &SharedCallback<dyn PickyCallback>, spec: &HookSpec) -> Result<(), HookError> {
        cb.attach::<OnEpochEnd, _, _>(self, spec, |cb, h, e| cb.on_epoch_end(h, e))?;
        cb.attach::<OnTrainEnd, _, _>(self, &spec.clone().priority(-1), |cb, h, _| cb.on_epoch_end(h, &0))?;
        if spec.name().starts_with("refused") {
            cb.attach::<OnNever, _, _>(self, spec, |_, _, _| {})?;
        }
        Ok(())
    }
}

#[derive(serde::Deserialize)]
struct Picky {
    tag: String,
}

#[callback(name = "picky")]
impl PickyCallback for Picky {
    fn on_epoch_end(&mut self, host: &mut PickyHost, epoch: &u32) {
        host.log.push(format!("{} {epoch}", self.tag));
    }
}

#[tokio::test]
async fn a_late_refusal_in_a_long_config_leaves_the_host_as_it_was() {
    let mut h = PickyHost::default();
    h.add_callback("existing", Box::new(Picky { tag: "old".into() })).unwrap();
    h.disable_hook::<OnTrainEnd>("existing").unwrap();
    let before: Vec<_> = h.hook_infos().into_iter().map(|i| (i.method, i.hook_type, i.priority, i.enabled)).collect();
    let generation = h.attached.generation();
    // Many accepted entries, one replacing `existing` half-way, then a refused one.
    let mut ids: Vec<String> = (0..1_000).map(|i| format!("p{i}")).collect();
    ids.insert(500, "existing".into());
    ids.push("refused".into());
    let entries: Vec<String> = ids
        .iter()
        .map(|id| format!(r#"{{"name": "picky", "id": "{id}", "settings": {{"tag": "new {id}"}}}}"#))
        .collect();
    let config = CallbackConfig::from_json(&format!(r#"{{"callbacks": [{}]}}"#, entries.join(","))).unwrap();
    let e = h.add_callbacks_from_config(&config).unwrap_err();
    assert!(matches!(&e, ConfigError::Attach { id, .. } if id == "refused"), "{e:?}");
    let after: Vec<_> = h.hook_infos().into_iter().map(|i| (i.method, i.hook_type, i.priority, i.enabled)).collect();
    assert_eq!(after, before, "nothing attached, `existing` as it was (disabled where it was)");
    assert_eq!(h.attached.generation(), generation);
    h.run_hooks_with::<OnEpochEnd>(&1).await.unwrap();
    h.run_hooks::<OnTrainEnd>().await.unwrap();
    assert_eq!(h.log, ["old 1"]);
    // The store works as before: an id attached afterwards runs after `existing`.
    h.add_callback("later", Box::new(Picky { tag: "later".into() })).unwrap();
    h.run_hooks_with::<OnEpochEnd>(&2).await.unwrap();
    assert_eq!(h.log, ["old 1", "old 2", "later 2"]);
}

// ---- user strings in errors (issue #11 item 9): a 50 MB name used to be echoed whole.

#[test]
fn a_50_mb_unknown_callback_name_is_cut_in_the_error() {
    // What a failed assertion shows: never the 50 MB.
    let head = |text: &str| -> String { text.chars().take(300).collect() };
    let name = format!("stopp{}", "é".repeat(25 << 20));
    let entry = hooks_runtime::CallbackEntry {
        name: name.clone(),
        id: None,
        enabled: true,
        settings: serde_json::Value::Object(Default::default()),
    };
    let config = CallbackConfig { callbacks: vec![entry] };
    let mut t = Trainer::default();
    let e = t.add_callbacks_from_config(&config).expect_err("unknown name");
    let ConfigError::UnknownCallback { name: kept, .. } = &e else { panic!("{}", head(&e.to_string())) };
    assert_eq!(kept.len(), name.len(), "the error keeps the whole name");
    let message = e.to_string();
    // The known names of the family follow; they are the program's, not the user's.
    let quoted = message.split("; known callbacks").next().unwrap_or_default();
    assert!(quoted.len() < 200, "{} bytes: {}", quoted.len(), head(&message));
    assert!(message.starts_with("unknown callback `stoppéééé"), "{}", head(&message));
    assert!(message.contains(&format!("… ({} bytes)`", name.len())), "the full length: {}", head(&message));
    let debug = format!("{e:?}");
    assert!(debug.len() < 400, "{} bytes: {}", debug.len(), head(&debug));

    let e = t.remove_hook::<OnEpochEnd>(&name).expect_err("no such hook");
    assert_eq!(e.method().len(), name.len());
    let (message, debug) = (e.to_string(), format!("{e:?}"));
    assert!(message.len() < 200 && debug.len() < 300, "{}\n{}", head(&message), head(&debug));
    assert!(message.contains("hook named `stoppéé"), "{}", head(&message));

    let duplicated =
        hooks_runtime::CallbackEntry { id: Some(name.clone()), name: "recorder".into(), ..config.callbacks[0].clone() };
    let e = t
        .add_callbacks_from_config(&CallbackConfig { callbacks: vec![duplicated.clone(), duplicated] })
        .expect_err("duplicate ids");
    assert!(matches!(&e, ConfigError::Duplicate { .. }), "{}", head(&e.to_string()));
    assert!(e.to_string().len() < 200, "{}", head(&e.to_string()));
}
