//! What the macros cost a user's build, in lines: issue 13 allows at most 30 generated lines per
//! hook attribute. Each case expands a `#[hooks]` impl, formats the expansion and the impl as
//! written with `rustfmt` (the workspace's `rustfmt.toml`), and divides the difference by the
//! number of hook attributes.

use std::io::Write;
use std::process::{Command, Stdio};

/// The most generated lines a hook attribute may cost, on average over an impl.
const BUDGET: usize = 30;

/// `source` formatted by `rustfmt`, as lines; `None` when rustfmt cannot be run.
fn formatted_lines(source: &str) -> Option<usize> {
    let config = concat!(env!("CARGO_MANIFEST_DIR"), "/../rustfmt.toml");
    let mut child = Command::new(std::env::var("RUSTFMT").unwrap_or_else(|_| "rustfmt".into()))
        .args(["--edition", "2021", "--emit", "stdout", "--config-path", config])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .ok()?;
    child.stdin.take()?.write_all(source.as_bytes()).ok()?;
    let output = child.wait_with_output().ok()?;
    assert!(output.status.success(), "rustfmt failed: {}", String::from_utf8_lossy(&output.stderr));
    let text = String::from_utf8_lossy(&output.stdout);
    if std::env::var_os("HOOKS_SHOW_EXPANSION").is_some() {
        eprintln!("{text}");
    }
    Some(text.lines().filter(|l| !l.trim().is_empty()).count())
}

/// Lines of `inventory::submit!`'s own expansion (inventory 0.3 on Linux, its `cfg_attr`s
/// resolved: the node, the constructor and its `.init_array` entry), besides the submitted value.
const SUBMIT_LINES: usize = 12;

/// `expanded` with what `rustfmt` leaves on one line written as code it formats: `assert!(..)`
/// as a call, and `inventory::submit! { value }` as a `static` of the value (its own lines are
/// counted apart, [`SUBMIT_LINES`] each); and the number of `submit!`s.
fn formattable(expanded: &str) -> (String, usize) {
    let mut out = expanded.replace(":: core :: assert ! (", "core_assert(");
    // A string too long for a line is one line, formatted or not; rustfmt gives up on a statement
    // holding one, so each is shortened first.
    let mut rest = out.as_str();
    let mut short = String::new();
    while let Some(open) = rest.find('"') {
        let close = open + 1 + rest[open + 1..].find('"').expect("closed string");
        short.push_str(&rest[..open]);
        short.push_str(if close - open > 40 { "\"..\"" } else { &rest[open..=close] });
        rest = &rest[close + 1..];
    }
    short.push_str(rest);
    out = short;
    let marker = "inventory :: submit ! {";
    let mut submits = 0;
    while let Some(at) = out.find(marker) {
        submits += 1;
        let open = at + marker.len() - 1;
        let mut depth = 0;
        let close = out[open..]
            .char_indices()
            .find_map(|(i, c)| {
                depth += match c {
                    '{' => 1,
                    '}' => -1,
                    _ => 0,
                };
                (depth == 0).then_some(open + i)
            })
            .expect("balanced braces");
        let value = out[open + 1..close].to_owned();
        // The path before the marker (`__h ::`) goes with it.
        let start = out[..at].rfind([';', '{', '}']).map_or(0, |i| i + 1);
        out.replace_range(start..=close, &format!("static INVENTORY: Node = {value};"));
    }
    (out, submits)
}

/// Generated lines per hook attribute of `item` (a `#[hooks]` impl body, without the attribute).
fn lines_per_hook(item: &str, hooks: usize) -> Option<(usize, usize, f64)> {
    let expanded = crate::hooks_impl(proc_macro2::TokenStream::new(), item.parse().expect("the case parses"));
    let expanded = expanded.to_string();
    assert!(!expanded.contains("compile_error"), "the case expands without errors: {expanded}");
    let (expanded, submits) = formattable(&expanded);
    // The impl as written, its attributes removed (the expansion keeps the methods, not them).
    let written: String = item.lines().filter(|l| !l.trim_start().starts_with("#[")).collect::<Vec<_>>().join("\n");
    let (expanded, written) = (formatted_lines(&expanded)? + submits * SUBMIT_LINES, formatted_lines(&written)?);
    Some((expanded, written, (expanded - written) as f64 / hooks as f64))
}

fn check(name: &str, item: &str, hooks: usize) {
    let Some((expanded, written, per_hook)) = lines_per_hook(item, hooks) else {
        // Not a pass: said plainly, so that a machine without rustfmt shows it.
        eprintln!("SKIPPED expansion size of {name}: rustfmt could not be run (rustup component add rustfmt)");
        return;
    };
    eprintln!("{name}: {expanded} lines expanded, {written} written: {per_hook:.1} generated lines per hook attribute");
    assert!(per_hook <= BUDGET as f64, "{name}: {per_hook:.1} generated lines per hook attribute (budget {BUDGET})");
}

#[test]
fn lifecycle_hooks_stay_within_the_line_budget() {
    check(
        "lifecycle",
        r#"
        impl Worker {
            #[on_init]
            fn init(&mut self) {}
            #[on_start]
            async fn open(&mut self) -> Result<(), std::io::Error> { Ok(()) }
            #[on_stop]
            fn close(&mut self, reason: &StopReason) {}
            #[hook(OnTick)]
            fn tick(&mut self, n: &u32) {}
            #[hook(OnTick, priority = -1, timeout = "2s")]
            async fn early(&mut self, n: &u32) {}
        }
        "#,
        5,
    );
}

#[test]
fn message_hooks_and_tasks_stay_within_the_line_budget() {
    check(
        "messages",
        r#"
        impl Worker {
            #[on_message(Kind::Status, Kind::Heartbeat)]
            async fn track(&mut self, msg: &Message) {}
            #[on_command(Kind::Profile)]
            fn profile(&mut self, cmd: &Profile, ctx: &Context) -> Result<u32, std::io::Error> { Ok(1) }
            #[on_pull_message(Kind::Work)]
            async fn work(&mut self, job: &Job) {}
            #[background_task(interval = "5s", immediate = false)]
            async fn report(&mut self) {}
            #[background_task(interval = |this: &Self| this.every)]
            fn poll(&mut self) {}
        }
        "#,
        5,
    );
}
