//! Named run-time hooks (issue "named hooks"): one ordered list with the static hooks, managed by
//! name, filtered by context, reported hook by hook, steered by control values.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use hooks_runtime::prelude::*;
use hooks_runtime::{Control, HookSpec, Outcome, RunSpec};

#[derive(Debug, Clone)]
struct User {
    name: String,
}

hook_type!(UserCreated(User));

type Log = Arc<Mutex<Vec<String>>>;

#[derive(Hooks, Default)]
#[provides_hooks(UserCreated)]
struct Users {
    #[hooks(base)]
    service: Service,
    log: Log,
}

#[hooks]
impl Users {
    #[hook(UserCreated, priority = 10)]
    fn audit(&mut self, user: &User) {
        self.log.lock().unwrap().push(format!("audit {}", user.name));
    }

    #[hook(UserCreated)]
    fn index(&mut self, user: &User) -> Result<usize, std::io::Error> {
        self.log.lock().unwrap().push("index".into());
        Ok(user.name.len())
    }
}

fn users() -> (Users, Log) {
    let log = Log::default();
    (Users { log: log.clone(), ..Users::default() }, log)
}

fn logger(log: &Log, line: &'static str) -> impl Fn(&mut Users, &User) + Send + Sync + 'static {
    let log = log.clone();
    move |_: &mut Users, _: &User| log.lock().unwrap().push(line.to_owned())
}

fn ada() -> User {
    User { name: "ada".into() }
}

fn taken(log: &Log) -> Vec<String> {
    std::mem::take(&mut *log.lock().unwrap())
}

#[tokio::test]
async fn static_and_run_time_hooks_interleave_by_priority_in_one_run() {
    let (mut u, log) = users();
    u.attach_hook_with::<UserCreated, _, _>(HookSpec::new("wallet").priority(5), logger(&log, "wallet")).unwrap();
    u.attach_hook_with::<UserCreated, _, _>(HookSpec::new("transactions").priority(15), logger(&log, "transactions"))
        .unwrap();
    u.attach_hook_with::<UserCreated, _, _>(HookSpec::new("early").priority(-1), logger(&log, "early")).unwrap();
    u.run_hooks_with::<UserCreated>(&ada()).await.unwrap();
    assert_eq!(taken(&log), ["early", "index", "wallet", "audit ada", "transactions"]);
}

#[tokio::test]
async fn registering_an_existing_name_replaces_that_hook_in_place_and_takes_the_new_priority() {
    let (mut u, log) = users();
    u.attach_hook_with::<UserCreated, _, _>(HookSpec::new("a"), logger(&log, "a")).unwrap();
    u.attach_hook_with::<UserCreated, _, _>(HookSpec::new("b"), logger(&log, "b")).unwrap();
    u.attach_hook_with::<UserCreated, _, _>(HookSpec::new("a"), logger(&log, "a2")).unwrap();
    let named: Vec<_> = u.hooks::<UserCreated>().into_iter().filter(|h| h.attached).map(|h| h.method).collect();
    assert_eq!(named, ["a", "b"], "exactly one `a`, still before `b`");
    u.run_hooks_with::<UserCreated>(&ada()).await.unwrap();
    assert_eq!(taken(&log), ["index", "a2", "b", "audit ada"]);
    u.attach_hook_with::<UserCreated, _, _>(HookSpec::new("a").priority(20), logger(&log, "a3")).unwrap();
    assert_eq!(u.hooks::<UserCreated>().last().unwrap().method, "a", "the new priority applies");
}

#[tokio::test]
async fn disabled_hooks_are_reported_and_not_run_and_can_be_enabled_again() {
    let (mut u, log) = users();
    u.attach_hook_with::<UserCreated, _, _>(HookSpec::new("mail").disabled(), logger(&log, "mail")).unwrap();
    u.disable_hook::<UserCreated>("audit").unwrap();
    let report = u.run_hooks_report::<UserCreated>(&ada(), RunSpec::new()).await;
    assert_eq!(taken(&log), ["index"]);
    let outcomes: Vec<_> = report.hooks.iter().map(|h| (h.name.to_string(), h.outcome.label())).collect();
    assert_eq!(
        outcomes,
        [("index".into(), "ok"), ("mail".into(), "disabled"), ("audit".into(), "disabled")] as [(String, &str); 3]
    );
    assert!(!u.hooks::<UserCreated>().iter().find(|h| h.method == "audit").unwrap().enabled);
    u.enable_hook::<UserCreated>("audit").unwrap();
    u.enable_hook::<UserCreated>("mail").unwrap();
    u.run_hooks_with::<UserCreated>(&ada()).await.unwrap();
    assert_eq!(taken(&log), ["index", "mail", "audit ada"]);
}

#[tokio::test]
async fn unknown_names_and_static_removal_are_clear_errors() {
    let (mut u, log) = users();
    let err = u.disable_hook::<UserCreated>("nope").unwrap_err();
    assert_eq!(err.to_string(), "`Users` has no UserCreated hook named `nope`");
    let err = u.remove_hook::<UserCreated>("audit").unwrap_err();
    assert!(err.to_string().contains("is a static hook and cannot be removed; disable it"), "{err}");
    u.attach_hook_with::<UserCreated, _, _>(HookSpec::new("gone"), logger(&log, "gone")).unwrap();
    u.remove_hook::<UserCreated>("gone").unwrap();
    assert!(matches!(u.remove_hook::<UserCreated>("gone"), Err(HookError::UnknownHook { .. })));
    u.run_hooks_with::<UserCreated>(&ada()).await.unwrap();
    assert!(!taken(&log).contains(&"gone".to_owned()));
}

#[tokio::test]
async fn a_context_skips_hooks_tagged_with_other_contexts_and_untagged_hooks_always_run() {
    let (mut u, log) = users();
    u.attach_hook_with::<UserCreated, _, _>(HookSpec::new("wallet").context("billing"), logger(&log, "wallet"))
        .unwrap();
    u.attach_hook_with::<UserCreated, _, _>(HookSpec::new("notify").context("comms"), logger(&log, "notify")).unwrap();
    u.attach_hook_with::<UserCreated, _, _>(HookSpec::new("any"), logger(&log, "any")).unwrap();

    let report = u.run_hooks_report::<UserCreated>(&ada(), RunSpec::new().context("billing")).await;
    assert_eq!(taken(&log), ["index", "wallet", "any", "audit ada"]);
    let notify = report.hooks.iter().find(|h| h.name == "notify").unwrap();
    assert!(matches!(notify.outcome, Outcome::Filtered));

    u.run_hooks_report::<UserCreated>(&ada(), RunSpec::new()).await;
    assert_eq!(taken(&log), ["index", "wallet", "notify", "any", "audit ada"], "no context: every hook runs");
}

#[tokio::test]
async fn a_report_keeps_values_with_attribution_and_first_value_stops_at_the_first() {
    let (mut u, _log) = users();
    u.attach_hook_with::<UserCreated, _, _>(HookSpec::new("score").priority(1), |_: &mut Users, u: &User| {
        Ok::<usize, String>(u.name.len() * 100)
    })
    .unwrap();
    let report = u.run_hooks_report::<UserCreated>(&ada(), RunSpec::new()).await;
    assert_eq!(report.values::<usize>(), [("index", &3), ("score", &300)]);
    assert_eq!(report.first::<usize>(), Some(&3));

    let report = u.run_hooks_report::<UserCreated>(&ada(), RunSpec::new().first_value()).await;
    let outcomes: Vec<&str> = report.hooks.iter().map(|h| h.outcome.label()).collect();
    assert_eq!(outcomes, ["ok", "not reached", "not reached"]);
    assert_eq!(report.values::<usize>(), [("index", &3)]);
}

#[tokio::test]
async fn a_stop_control_value_vetoes_the_rest_of_the_run() {
    let (mut u, log) = users();
    u.attach_hook_with::<UserCreated, _, _>(HookSpec::new("validate").priority(-5), |_: &mut Users, u: &User| {
        if u.name.is_empty() {
            Control::stop("empty name")
        } else {
            Control::Continue
        }
    })
    .unwrap();
    let report = u.run_hooks_report::<UserCreated>(&User { name: String::new() }, RunSpec::new()).await;
    assert!(taken(&log).is_empty(), "no hook after the veto ran");
    assert_eq!(report.stopped(), Some(("validate", "empty name")));
    assert!(report.is_ok(), "a veto is not a failure");
    u.run_hooks_with::<UserCreated>(&ada()).await.unwrap();
    assert_eq!(taken(&log), ["index", "audit ada"]);
}

#[tokio::test]
async fn an_untimed_report_has_the_same_outcomes_without_timing_or_statistics() {
    let (mut u, _log) = users();
    u.attach_hook_with::<UserCreated, _, _>(HookSpec::new("validate").priority(5), |_: &mut Users, u: &User| {
        if u.name.is_empty() {
            Control::stop("empty name")
        } else {
            Control::Continue
        }
    })
    .unwrap();
    let calls = |u: &Users| u.hooks::<UserCreated>().into_iter().find(|h| h.method == "validate").map(|h| h.calls);
    let empty = User { name: String::new() };
    let untimed = u.run_hooks_report::<UserCreated>(&empty, RunSpec::new().untimed()).await;
    assert_eq!(untimed.stopped(), Some(("validate", "empty name")));
    assert!(untimed.hooks.iter().all(|h| h.duration == Duration::ZERO));
    assert_eq!(calls(&u), Some(0), "an untimed report records no statistics");
    let timed = u.run_hooks_report::<UserCreated>(&empty, RunSpec::new()).await;
    let labels = |r: &hooks_runtime::RunReport| r.hooks.iter().map(|h| h.outcome.label()).collect::<Vec<_>>();
    assert_eq!(labels(&untimed), labels(&timed));
    assert_eq!(calls(&u), Some(1), "a timed report records the attached hook's call");
}

#[tokio::test(start_paused = true)]
async fn failures_are_reported_by_kind_and_the_error_handler_is_called() {
    let (mut u, log) = users();
    let handled = Arc::new(Mutex::new(Vec::new()));
    let sink = handled.clone();
    u.attach_hook_with::<UserCreated, _, _>(
        HookSpec::new("flaky").on_error(move |e| sink.lock().unwrap().push(e.method().to_owned())),
        |_: &mut Users, _: &User| Err::<(), _>("database down"),
    )
    .unwrap();
    u.attach_hook_with::<UserCreated, _, _>(HookSpec::new("boom"), |_: &mut Users, _: &User| -> () { panic!("boom") })
        .unwrap();
    let report = u.run_hooks_report::<UserCreated>(&ada(), RunSpec::new()).await;
    let outcomes: Vec<(String, &str)> = report.hooks.iter().map(|h| (h.name.to_string(), h.outcome.label())).collect();
    assert_eq!(
        outcomes,
        [("index".into(), "ok"), ("flaky".into(), "failed"), ("boom".into(), "panicked"), ("audit".into(), "ok")]
            as [(String, &str); 4]
    );
    assert_eq!(*handled.lock().unwrap(), ["flaky"]);
    assert_eq!(taken(&log), ["index", "audit ada"], "collect-all: the hooks after the failures ran");
    assert_eq!(report.into_result().unwrap_err().errors().len(), 2);
    let text = format!("{}", u.run_hooks_report::<UserCreated>(&ada(), RunSpec::new()).await);
    assert!(text.starts_with("UserCreated (4 hooks)"), "{text}");
    assert!(text.contains("Users::boom") && text.contains("panicked"), "{text}");
}

#[tokio::test]
async fn a_hook_attached_during_a_run_does_not_join_it() {
    let (mut u, log) = users();
    let late = log.clone();
    u.attach_hook_with::<UserCreated, _, _>(HookSpec::new("attacher").priority(-1), move |u: &mut Users, _: &User| {
        let late = late.clone();
        u.attach_hook_with::<UserCreated, _, _>(HookSpec::new("late"), move |_: &mut Users, _: &User| {
            late.lock().unwrap().push("late".into())
        })
        .unwrap();
    })
    .unwrap();
    u.run_hooks_with::<UserCreated>(&ada()).await.unwrap();
    assert_eq!(taken(&log), ["index", "audit ada"]);
    u.run_hooks_with::<UserCreated>(&ada()).await.unwrap();
    assert_eq!(taken(&log), ["index", "late", "audit ada"]);
}

#[tokio::test(start_paused = true)]
async fn stats_count_calls_and_time_of_every_hook() {
    let (mut u, _log) = users();
    u.enable_stats().unwrap();
    u.attach_hook_async::<UserCreated, _, _>(
        "slow",
        |_: &mut Users, _: &User| Box::pin(async { tokio::time::sleep(Duration::from_millis(40)).await }),
        (),
    )
    .unwrap();
    for _ in 0..3 {
        u.run_hooks_with::<UserCreated>(&ada()).await.unwrap();
    }
    let infos = u.hooks::<UserCreated>();
    let slow = infos.iter().find(|h| h.method == "slow").unwrap();
    assert_eq!(slow.calls, 3);
    assert_eq!(slow.total_time, Duration::from_millis(120));
    let audit = infos.iter().find(|h| h.method == "audit").unwrap();
    assert_eq!(audit.calls, 3, "static hooks are counted too");
}

#[tokio::test]
async fn before_and_after_constraints_move_hooks_as_little_as_needed() {
    let (mut u, log) = users();
    // Priorities alone would give: index, late, audit.
    u.attach_hook_with::<UserCreated, _, _>(HookSpec::new("late").before("index"), logger(&log, "late")).unwrap();
    u.attach_hook_with::<UserCreated, _, _>(HookSpec::new("first").priority(-5).after("audit"), logger(&log, "first"))
        .unwrap();
    u.run_hooks_with::<UserCreated>(&ada()).await.unwrap();
    assert_eq!(taken(&log), ["late", "index", "audit ada", "first"]);
    u.run_hooks_reversed_with::<UserCreated>(&ada()).await.unwrap();
    assert_eq!(taken(&log), ["first", "audit ada", "index", "late"], "exact reverse");
    let listed: Vec<_> = u.hooks::<UserCreated>().into_iter().map(|h| h.method).collect();
    assert_eq!(listed, ["late", "index", "audit", "first"]);
}

#[tokio::test]
async fn contradicting_constraints_are_refused_naming_the_cycle() {
    let (mut u, log) = users();
    u.attach_hook_with::<UserCreated, _, _>(HookSpec::new("a").before("b"), logger(&log, "a")).unwrap();
    u.attach_hook_with::<UserCreated, _, _>(HookSpec::new("b").before("audit"), logger(&log, "b")).unwrap();
    let err = u
        .attach_hook_with::<UserCreated, _, _>(HookSpec::new("c").after("audit").before("a"), logger(&log, "c"))
        .unwrap_err();
    assert!(matches!(&err, HookError::OrderCycle { cycle, .. } if cycle.len() == 4), "{err}");
    assert!(err.to_string().contains("ordering constraints make a cycle through"), "{err}");
    assert!(u.hooks::<UserCreated>().iter().all(|h| h.method != "c"), "the refused hook is not attached");
    // Replacing a hook with a contradicting version keeps the old one.
    let err =
        u.attach_hook_with::<UserCreated, _, _>(HookSpec::new("b").after("audit").before("a"), logger(&log, "b2"));
    assert!(err.is_err());
    u.run_hooks_with::<UserCreated>(&ada()).await.unwrap();
    assert_eq!(taken(&log), ["index", "a", "b", "audit ada"]);
}

/// A logger for a hook whose name is made at run time.
fn named_logger(log: &Log, line: String) -> impl Fn(&mut Users, &User) + Send + Sync + 'static {
    let log = log.clone();
    move |_: &mut Users, _: &User| log.lock().unwrap().push(line.clone())
}

/// The run order rule 6 gives, computed the slow and obvious way: `merged` (names in priority
/// order) reordered by `edges` (a runs before b), each step taking the earliest hook all of whose
/// predecessors ran.
fn reference_order(merged: &[String], edges: &[(String, String)]) -> Vec<String> {
    let position: std::collections::HashMap<&str, usize> =
        merged.iter().enumerate().rev().map(|(i, name)| (name.as_str(), i)).collect();
    let (mut waiting, mut then) = (vec![0; merged.len()], vec![Vec::new(); merged.len()]);
    for (a, b) in edges {
        if let (Some(&a), Some(&b)) = (position.get(a.as_str()), position.get(b.as_str())) {
            waiting[b] += 1;
            then[a].push(b);
        }
    }
    let mut done = vec![false; merged.len()];
    let mut out = Vec::new();
    while out.len() < merged.len() {
        let next = (0..merged.len()).find(|&i| !done[i] && waiting[i] == 0).expect("no cycle");
        done[next] = true;
        then[next].iter().for_each(|&b| waiting[b] -= 1);
        out.push(merged[next].clone());
    }
    out
}

/// Issue #11 item 9: attaching N constrained hooks grew about N^2.5 (2,000 took 10 s in release):
/// every attach re-sorted and re-checked the whole list by linear scans. At this size a debug build
/// would not finish; the order must be exactly what rule 6 gives.
#[tokio::test]
async fn two_thousand_constrained_hooks_attach_and_run_in_constraint_order() {
    const N: i32 = 2_000;
    // A chain against priorities that alone would reverse it: every hook moves.
    let (mut u, log) = users();
    for i in 0..N {
        let mut spec = HookSpec::new(format!("h{i}")).priority(-i);
        if i > 0 {
            spec = spec.after(format!("h{}", i - 1));
        }
        u.attach_hook_with::<UserCreated, _, _>(spec, named_logger(&log, format!("h{i}"))).unwrap();
    }
    u.run_hooks_with::<UserCreated>(&ada()).await.unwrap();
    let mut expected = vec!["index".to_owned()];
    expected.extend((0..N).map(|i| format!("h{i}")));
    expected.push("audit ada".to_owned());
    assert_eq!(taken(&log), expected);
    u.run_hooks_reversed_with::<UserCreated>(&ada()).await.unwrap();
    expected.reverse();
    assert_eq!(taken(&log), expected, "exact reverse");
    // Closing the chain into a loop is still refused at attach, naming every hook of it.
    let err = u
        .attach_hook_with::<UserCreated, _, _>(HookSpec::new("loop").after("h1999").before("h0"), logger(&log, "loop"))
        .unwrap_err();
    assert!(matches!(&err, HookError::OrderCycle { cycle, .. } if cycle.len() == N as usize + 1), "{err}");
    assert_eq!(u.hooks::<UserCreated>().len(), N as usize + 2, "the refused hook is not attached");

    // Random constraints on earlier, later (not yet attached) and static hooks, `before` or
    // `after` as a hidden random rank says (so never a cycle).
    let (mut u, log) = users();
    let mut names = vec!["index".to_owned(), "audit".to_owned()];
    names.extend((0..N).map(|i| format!("h{i}")));
    let mut seed = 0x2545_f491_4f6c_dd1d_u64;
    let mut below = |n: usize| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        (seed % n as u64) as usize
    };
    let rank: Vec<usize> = (0..names.len()).map(|_| below(1_000_000)).collect();
    let mut edges = Vec::new();
    for i in 2..names.len() {
        let mut spec = HookSpec::new(names[i].clone());
        for j in [below(names.len()), below(i)] {
            if j == i {
                continue;
            }
            if (rank[j], j) < (rank[i], i) {
                spec = spec.after(names[j].clone());
                edges.push((names[j].clone(), names[i].clone()));
            } else {
                spec = spec.before(names[j].clone());
                edges.push((names[i].clone(), names[j].clone()));
            }
        }
        u.attach_hook_with::<UserCreated, _, _>(spec, named_logger(&log, names[i].clone())).unwrap();
    }
    u.run_hooks_with::<UserCreated>(&ada()).await.unwrap();
    // All at priority 0: `index`, then the attached hooks in attach order, then `audit` (10).
    let mut merged = vec!["index".to_owned()];
    merged.extend((0..N).map(|i| format!("h{i}")));
    merged.push("audit".to_owned());
    let expected = reference_order(&merged, &edges);
    let ran: Vec<String> =
        taken(&log).into_iter().map(|l| if l == "audit ada" { "audit".to_owned() } else { l }).collect();
    assert_eq!(ran, expected);
    let listed: Vec<String> = u.hooks::<UserCreated>().into_iter().map(|h| h.method.into_owned()).collect();
    assert_eq!(listed, expected, "listed in run order");
}

/// Rule 6 as a full sort gives it, on a model: each attached hook is (name, priority, attach
/// sequence, before, after); the static hooks of `Users` are `index` (0) and `audit` (10).
/// `Ok` is the run order, `Err` means a cycle.
type Model = Vec<(String, i32, usize, Vec<String>, Vec<String>)>;

fn model_order(attached: &Model) -> Result<Vec<String>, ()> {
    let mut sorted: Vec<_> = attached.iter().collect();
    sorted.sort_by_key(|h| (h.1, h.2));
    let statics = [("index", 0), ("audit", 10)];
    let (mut merged, mut s) = (Vec::new(), 0);
    for h in sorted {
        while s < statics.len() && statics[s].1 <= h.1 {
            merged.push((statics[s].0.to_owned(), None));
            s += 1;
        }
        merged.push((h.0.clone(), Some(h)));
    }
    merged.extend(statics[s..].iter().map(|st| (st.0.to_owned(), None)));
    let names: Vec<String> = merged.iter().map(|m| m.0.clone()).collect();
    // A constraint names the first hook of that name in merge order.
    let first = |name: &String| names.iter().position(|n| n == name);
    let mut edges = Vec::new();
    for (i, (_, hook)) in merged.iter().enumerate() {
        if let Some(h) = hook {
            edges.extend(h.3.iter().filter_map(first).map(|b| (i, b)));
            edges.extend(h.4.iter().filter_map(first).map(|a| (a, i)));
        }
    }
    let mut done = vec![false; names.len()];
    let mut out = Vec::new();
    while out.len() < names.len() {
        let ready = (0..names.len()).find(|&i| !done[i] && edges.iter().all(|&(a, b)| b != i || done[a]));
        let next = ready.ok_or(())?;
        done[next] = true;
        out.push(names[next].clone());
    }
    Ok(out)
}

/// The check made at attach (a walk from the new hook) refuses exactly what sorting every hook
/// refused, and the run order is the full sort's, over random attaches, replacements with new
/// priorities, removals and hooks without constraints, on names shared with the static hooks.
#[tokio::test]
async fn cycles_are_refused_at_attach_exactly_as_a_full_sort_finds_them() {
    let pool = ["a", "b", "c", "d", "e", "index", "audit"];
    let mut seed = 0x9e37_79b9_7f4a_7c15_u64;
    let mut below = |n: usize| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        (seed % n as u64) as usize
    };
    for _round in 0..100 {
        let (mut u, log) = users();
        let (mut model, mut next_seq): (Model, usize) = (Vec::new(), 0);
        for _op in 0..30 {
            let name = pool[below(5) + if below(4) == 0 { 2 } else { 0 }].to_owned();
            if below(6) == 0 {
                let removed = u.remove_hook::<UserCreated>(&name).is_ok();
                assert_eq!(removed, model.iter().any(|h| h.0 == name));
                model.retain(|h| h.0 != name);
            } else {
                let priority = [-1, 0, 0, 5, 10, 20][below(6)];
                let mut spec = HookSpec::new(name.clone()).priority(priority);
                let (mut before, mut after) = (Vec::new(), Vec::new());
                for _ in 0..below(3) {
                    let other = pool[below(pool.len())].to_owned();
                    if below(2) == 0 {
                        spec = spec.before(other.clone());
                        before.push(other);
                    } else {
                        spec = spec.after(other.clone());
                        after.push(other);
                    }
                }
                let constrained = !before.is_empty() || !after.is_empty();
                let mut next = model.clone();
                match next.iter_mut().find(|h| h.0 == name) {
                    Some(h) => (h.1, h.3, h.4) = (priority, before, after),
                    None => {
                        next.push((name.clone(), priority, next_seq, before, after));
                    }
                }
                let refused = constrained && model_order(&next).is_err();
                let result = u.attach_hook_with::<UserCreated, _, _>(spec, named_logger(&log, name.clone()));
                assert_eq!(result.is_err(), refused, "{result:?} for {name} in {model:?} -> {next:?}");
                if !refused {
                    if !model.iter().any(|h| h.0 == name) {
                        next_seq += 1;
                    }
                    model = next;
                }
            }
            // A cycle closed by a hook without constraints: the merge (priority) order holds.
            let expected = model_order(&model).unwrap_or_else(|()| {
                let mut cleared = model.clone();
                cleared.iter_mut().for_each(|h| (h.3, h.4) = (Vec::new(), Vec::new()));
                model_order(&cleared).unwrap_or_default()
            });
            let listed: Vec<String> = u.hooks::<UserCreated>().into_iter().map(|h| h.method.into_owned()).collect();
            assert_eq!(listed, expected, "{model:?}");
            u.run_hooks_with::<UserCreated>(&ada()).await.unwrap();
            let ran: Vec<String> =
                taken(&log).into_iter().map(|l| if l == "audit ada" { "audit".to_owned() } else { l }).collect();
            assert_eq!(ran, expected, "run order, {model:?}");
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
struct Config(u32);

hook_type!(ConfigLoaded(Config), historic);

#[derive(Hooks, Default)]
#[provides_hooks(ConfigLoaded)]
struct Settings {
    attached: AttachedHooks,
    seen: Vec<(String, u32)>,
}

#[tokio::test]
async fn a_hook_attached_late_to_a_historic_type_replays_the_past_events() {
    let mut s = Settings::default();
    for n in 0..70 {
        s.run_hooks_with::<ConfigLoaded>(&Config(n)).await.unwrap();
    }
    s.attach_hook_with::<ConfigLoaded, _, _>(HookSpec::new("late"), |s: &mut Settings, c: &Config| {
        s.seen.push(("late".into(), c.0));
    })
    .unwrap();
    assert_eq!(s.seen.len(), ConfigLoaded::HISTORY, "bounded: the last 64 events");
    assert_eq!(s.seen.first(), Some(&("late".to_owned(), 6)), "oldest kept first");
    assert_eq!(s.seen.last(), Some(&("late".to_owned(), 69)));
    s.seen.clear();
    s.run_hooks_with::<ConfigLoaded>(&Config(70)).await.unwrap();
    assert_eq!(s.seen, [("late".to_owned(), 70)], "then new events as usual");
    assert_eq!(UserCreated::HISTORY, 0, "only historic types keep events");
}

#[tokio::test]
async fn around_hooks_wrap_the_others_and_may_replace_their_result() {
    let (mut u, log) = users();
    u.attach_hook_with::<UserCreated, _, _>(HookSpec::new("flaky"), |_: &mut Users, _: &User| Err::<(), _>("down"))
        .unwrap();
    let outer = log.clone();
    u.attach_around::<UserCreated, _, _>(
        "outer",
        move |_: &mut Users, _: &User| outer.lock().unwrap().push("outer before".into()),
        |u: &mut Users, _: &User, result: Result<(), MultiError>| {
            u.log
                .lock()
                .unwrap()
                .push(format!("outer after ({} failed)", result.as_ref().map_or_else(|e| e.len(), |()| 0)));
            result
        },
    )
    .unwrap();
    let inner = log.clone();
    u.attach_around::<UserCreated, _, _>(
        "forgive",
        move |_: &mut Users, _: &User| inner.lock().unwrap().push("inner before".into()),
        |u: &mut Users, _: &User, result: Result<(), MultiError>| {
            u.log.lock().unwrap().push("inner after".into());
            match result {
                Err(errors) if errors.errors().iter().all(|e| e.method() == "flaky") => Ok(()),
                other => other,
            }
        },
    )
    .unwrap();

    u.run_hooks_with::<UserCreated>(&ada()).await.expect("the inner around-hook forgave `flaky`");
    assert_eq!(
        taken(&log),
        ["outer before", "inner before", "index", "audit ada", "inner after", "outer after (0 failed)"]
    );

    let report = u.run_hooks_report::<UserCreated>(&ada(), RunSpec::new()).await;
    assert_eq!(report.errors().count(), 1, "each hook's outcome stays as it ran");
    assert!(report.result().is_ok(), "the run's result is what the around-hooks made of it");

    u.remove_hook::<UserCreated>("forgive").unwrap();
    taken(&log);
    assert!(u.run_hooks_with::<UserCreated>(&ada()).await.is_err());
    assert_eq!(taken(&log).last().unwrap(), "outer after (1 failed)");
}

#[tokio::test]
async fn an_around_hook_can_fail_a_run_and_its_panics_are_caught() {
    let (mut u, _log) = users();
    u.attach_around::<UserCreated, _, _>(
        "strict",
        |_: &mut Users, _: &User| {},
        |_: &mut Users, u: &User, result| {
            if u.name == "root" {
                Err(MultiError::from(HookError::Failed {
                    owner: "Users",
                    method: "strict".into(),
                    hook_type: "UserCreated",
                    source: std::sync::Arc::new(std::io::Error::other("reserved name")),
                }))
            } else {
                result
            }
        },
    )
    .unwrap();
    let err = u.run_hooks_with::<UserCreated>(&User { name: "root".into() }).await.unwrap_err();
    assert_eq!(err.errors()[0].method(), "strict");
    u.attach_around::<UserCreated, _, _>(
        "strict",
        |_: &mut Users, _: &User| {},
        |_: &mut Users, _: &User, _| panic!("around exploded"),
    )
    .unwrap();
    let err = u.run_hooks_with::<UserCreated>(&ada()).await.unwrap_err();
    assert!(matches!(&err.errors()[0], HookError::Panicked { message, .. } if message == "around exploded"));
}

hook_type!(Enrich(hooks_runtime::Fold<Vec<String>>));

#[derive(Hooks, Default)]
#[provides_hooks(Enrich)]
struct Enricher {
    attached: AttachedHooks,
}

#[hooks]
impl Enricher {
    #[hook(Enrich)]
    fn first(&mut self, ctx: &hooks_runtime::Fold<Vec<String>>) {
        ctx.update(|v| v.push("static".into()));
    }
}

#[tokio::test]
async fn a_fold_run_lets_later_hooks_see_earlier_changes() {
    let mut e = Enricher::default();
    e.attach_hook_with::<Enrich, _, _>(
        HookSpec::new("second"),
        |_: &mut Enricher, ctx: &hooks_runtime::Fold<Vec<String>>| {
            let seen = ctx.read(|v| v.len());
            ctx.update(|v| v.push(format!("saw {seen}")));
        },
    )
    .unwrap();
    let ctx = hooks_runtime::Fold::new(vec!["start".to_owned()]);
    e.run_hooks_with::<Enrich>(&ctx).await.unwrap();
    assert_eq!(ctx.into_inner(), ["start", "static", "saw 2"]);
}

#[derive(Hooks, Default)]
#[provides_hooks(UserCreated)]
struct OnlyAttached {
    attached: AttachedHooks,
}

#[tokio::test]
async fn stats_count_attached_hooks_of_a_type_without_static_hooks() {
    let mut c = OnlyAttached::default();
    c.enable_stats().unwrap();
    c.attach_hook::<UserCreated>("only", |_: &mut OnlyAttached, _: &User| {}, ()).unwrap();
    c.run_hooks_with::<UserCreated>(&ada()).await.unwrap();
    c.run_hooks_with::<UserCreated>(&ada()).await.unwrap();
    assert_eq!(c.hooks::<UserCreated>()[0].calls, 2);
}
