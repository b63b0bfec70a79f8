//! A timeline a person can look at (feature `timeline`, off by default): what ran when, per
//! component. [`Timeline`] records hook runs, lifecycle transitions and message edges, and writes
//! them as a self-contained SVG picture and as a Chrome trace (open it in Perfetto or
//! `chrome://tracing`).
//!
//! Nothing new is emitted for it: it reads what the runtime already reports.
//! - Hook runs are the `hook` spans of `hooks_core` (owner, method, hook type). They exist only
//!   while `debug` is enabled for `hooks_core`, which [`Timeline::layer`]'s own filter does.
//! - Rows are the `component{name, id}` spans each component's task runs in; a hook run outside
//!   every component (a direct `run_hooks` call) lands in a row of its own.
//! - Transitions are the `transition` debug events of the lifecycle (`old`, `new`).
//! - Message edges pair the [`MessageEvent::Sent`] and [`MessageEvent::Received`] that
//!   [`Runtime::observe`] reports ([`Timeline::observe`]): a receipt takes the oldest send of its
//!   type to that component (mailboxes are first in, first out), else to the work queue. A send
//!   never received (refused, or still queued when the picture is written) draws no arrow.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use hooks_core::Key;
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id};
use tracing::{Event, Subscriber};
use tracing_subscriber::filter::Targets;
use tracing_subscriber::layer::{Context as LayerContext, Layer};
use tracing_subscriber::registry::LookupSpan;

use crate::bus::MessageEvent;
use crate::runtime::Runtime;

/// Records hook runs, transitions and messages per component; writes them as SVG or Chrome trace.
///
/// Install its [`layer`](Self::layer) in the tracing subscriber and let it
/// [`observe`](Self::observe) the runtime; write the picture when the run is over:
///
/// ```no_run
/// use hooks_runtime::prelude::*;
/// use hooks_runtime::Timeline;
/// use tracing_subscriber::layer::SubscriberExt as _;
///
/// #[derive(Hooks, Default)]
/// struct Db {
///     #[hooks(base)]
///     service: Service,
/// }
///
/// #[hooks]
/// impl Db {
///     #[on_start]
///     fn open(&mut self) {}
/// }
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let timeline = Timeline::new();
/// tracing::subscriber::set_global_default(tracing_subscriber::registry().with(timeline.layer()))?;
/// let runtime = Runtime::new();
/// timeline.observe(&runtime);
/// runtime.spawn(Db::default());
/// runtime.start_all().await?;
/// runtime.stop_all().await?;
/// timeline.write_svg("timeline.svg")?;
/// timeline.write_chrome_trace("timeline.json")?;
/// # Ok(()) }
/// ```
///
/// Cloning it shares the recording. While its layer is installed, every hook run has a span (the
/// cost of `RUST_LOG=hooks_core=debug`, without the output).
#[derive(Clone)]
pub struct Timeline {
    shared: Arc<Shared>,
}

/// What the layer, the message observer and the writers share.
struct Shared {
    /// Time zero of the recording.
    origin: Instant,
    state: Mutex<State>,
}

/// The recording so far and what is still open.
#[derive(Default)]
struct State {
    recording: Recording,
    /// The component and hook spans seen and not closed yet.
    open: HashMap<Id, Open>,
    /// Row of each component id.
    rows: HashMap<u64, usize>,
    /// The row of what ran outside every component, once something did.
    outside: Option<usize>,
    /// Sends not received yet, oldest first.
    pending: Vec<Pending>,
}

/// A span being followed: a component's (`hook: None`) or a hook run's.
struct Open {
    row: usize,
    /// How many hook runs it is nested in.
    depth: usize,
    hook: Option<OpenHook>,
}

struct OpenHook {
    owner: String,
    method: String,
    hook_type: String,
    start: Duration,
}

/// A send waiting for its receipt.
struct Pending {
    to: Arc<str>,
    kind: Key,
    from: usize,
    at: Duration,
}

/// Everything a [`Timeline`] recorded; times are from the timeline's creation.
#[derive(Debug, Clone, Default, PartialEq)]
#[non_exhaustive]
pub struct Recording {
    /// One per component, in the order they were spawned (plus one for what ran outside every
    /// component, where it first appeared).
    pub rows: Vec<Row>,
    /// Finished hook runs, in the order they ended.
    pub runs: Vec<Run>,
    /// Lifecycle transitions.
    pub transitions: Vec<Transition>,
    /// Messages received, with their send.
    pub messages: Vec<MessageEdge>,
}

/// A row of the timeline: a component.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Row {
    /// The component's name (`"(outside components)"` for the row of everything else).
    pub name: String,
    /// The component's id; `None` for the row of everything that ran outside every component.
    pub id: Option<u64>,
}

/// One hook run.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Run {
    /// Index in [`Recording::rows`].
    pub row: usize,
    /// The type that declares the hook.
    pub owner: String,
    /// The method (or attached hook's name).
    pub method: String,
    /// The hook type (`OnInit`, `BackgroundTask`, ...).
    pub hook_type: String,
    /// When it began.
    pub start: Duration,
    /// When it ended.
    pub end: Duration,
    /// How many other hook runs it ran inside (a custom hook run from a background task: 1).
    pub depth: usize,
}

/// A lifecycle transition.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Transition {
    /// Index in [`Recording::rows`].
    pub row: usize,
    /// When it happened.
    pub at: Duration,
    /// The state left (`Debug` of `LifecycleState`).
    pub old: String,
    /// The state entered.
    pub new: String,
}

/// A message, from its send to its receipt.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct MessageEdge {
    /// The message type (`Debug` of its key).
    pub kind: String,
    /// The sender's row.
    pub from: usize,
    /// The receiver's row.
    pub to: usize,
    /// When it was sent.
    pub sent: Duration,
    /// When the receiver took it.
    pub received: Duration,
}

impl Default for Timeline {
    fn default() -> Self {
        Self::new()
    }
}

impl Timeline {
    /// An empty timeline; its time zero is now.
    pub fn new() -> Self {
        Self { shared: Arc::new(Shared { origin: Instant::now(), state: Mutex::default() }) }
    }

    /// The `tracing` layer that records into this timeline, with its own filter (`debug` for
    /// `hooks_core` and `hooks_runtime`, nothing else): other layers' filters stay as they are.
    pub fn layer<S>(&self) -> impl Layer<S>
    where
        S: Subscriber + for<'a> LookupSpan<'a>,
    {
        let targets = Targets::new()
            .with_target("hooks_core", tracing::Level::DEBUG)
            .with_target("hooks_runtime", tracing::Level::DEBUG);
        Recorder { shared: self.shared.clone() }.with_filter(targets)
    }

    /// Records the messages of `runtime`'s components (see [`Runtime::observe`]).
    pub fn observe(&self, runtime: &Runtime) {
        let shared = self.shared.clone();
        runtime.observe(move |event| shared.message(event));
    }

    /// A copy of what was recorded so far.
    pub fn recording(&self) -> Recording {
        self.shared.lock().recording.clone()
    }

    /// Writes the picture ([`Recording::to_svg`]) to `path`.
    pub fn write_svg(&self, path: impl AsRef<Path>) -> std::io::Result<()> {
        std::fs::write(path, self.recording().to_svg())
    }

    /// Writes the Chrome trace ([`Recording::to_chrome_trace`]) to `path`.
    pub fn write_chrome_trace(&self, path: impl AsRef<Path>) -> std::io::Result<()> {
        std::fs::write(path, self.recording().to_chrome_trace())
    }
}

impl std::fmt::Debug for Timeline {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Timeline").field("recording", &self.shared.lock().recording).finish()
    }
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn now(&self) -> Duration {
        self.origin.elapsed()
    }

    fn message(&self, event: &MessageEvent) {
        let at = self.now();
        // The observer runs on the sender's (or receiver's) task, inside its component's span.
        let current = tracing::Span::current().id();
        let mut state = self.lock();
        match event {
            MessageEvent::Sent { to, kind, from, .. } => {
                let from = state.row_here(current.as_ref(), from.as_deref());
                state.pending.push(Pending { to: to.clone(), kind: kind.clone(), from, at });
            }
            MessageEvent::Refused { to, kind, .. } => {
                if let Some(i) = state.pending.iter().rposition(|p| p.to == *to && p.kind == *kind) {
                    state.pending.remove(i);
                }
            }
            MessageEvent::Received { by, kind, .. } => {
                let to = state.row_here(current.as_ref(), Some(by));
                let sent = |name: &str| state.pending.iter().position(|p| &*p.to == name && p.kind == *kind);
                if let Some(i) = sent(by).or_else(|| sent("queue")) {
                    let send = state.pending.remove(i);
                    let kind = label(kind);
                    state.recording.messages.push(MessageEdge {
                        kind,
                        from: send.from,
                        to,
                        sent: send.at,
                        received: at,
                    });
                }
            }
            // Not an edge between components: nothing to draw.
            MessageEvent::Undecodable { .. } => {}
        }
    }
}

impl State {
    fn outside_row(&mut self) -> usize {
        *self.outside.get_or_insert_with(|| {
            self.recording.rows.push(Row { name: "(outside components)".into(), id: None });
            self.recording.rows.len() - 1
        })
    }

    /// The row of the code running now: the component of the current span, else (inside a span
    /// this timeline does not follow) the last component named `name`, else the outside row.
    fn row_here(&mut self, current: Option<&Id>, name: Option<&str>) -> usize {
        if let Some(open) = current.and_then(|id| self.open.get(id)) {
            return open.row;
        }
        let named = name.and_then(|name| self.recording.rows.iter().rposition(|r| r.id.is_some() && r.name == name));
        named.unwrap_or_else(|| self.outside_row())
    }
}

/// The message type as written in the picture: `Status`, `topic` (no quotes).
fn label(kind: &Key) -> String {
    format!("{kind:?}").trim_matches('"').to_owned()
}

/// The layer behind [`Timeline::layer`].
struct Recorder {
    shared: Arc<Shared>,
}

impl<S> Layer<S> for Recorder
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, ctx: LayerContext<'_, S>) {
        let meta = attrs.metadata();
        let component = meta.name() == "component" && meta.target().starts_with("hooks_runtime");
        let hook = meta.name() == "hook" && meta.target().starts_with("hooks_core");
        if !component && !hook {
            return;
        }
        let mut fields = Fields::default();
        attrs.record(&mut fields);
        let start = self.shared.now();
        let mut guard = self.shared.lock();
        // Through a plain `&mut`: the fields are then borrowed apart.
        let state = &mut *guard;
        if component {
            let Some(component_id) = fields.id else { return };
            let name = fields.get("name").to_owned();
            let rows = &mut state.recording.rows;
            let row = *state.rows.entry(component_id).or_insert_with(|| {
                rows.push(Row { name, id: Some(component_id) });
                rows.len() - 1
            });
            state.open.insert(id.clone(), Open { row, depth: 0, hook: None });
            return;
        }
        // The nearest enclosing span followed here gives the row: the component's, or the hook
        // run this one is nested in.
        let parent = ctx.span(id).and_then(|span| {
            span.scope()
                .skip(1)
                .find_map(|s| state.open.get(&s.id()).map(|o| (o.row, o.depth + o.hook.is_some() as usize)))
        });
        let (row, depth) = match parent {
            Some(found) => found,
            None => (state.outside_row(), 0),
        };
        let hook = OpenHook {
            owner: fields.get("owner").to_owned(),
            method: fields.get("method").to_owned(),
            hook_type: fields.get("hook_type").to_owned(),
            start,
        };
        state.open.insert(id.clone(), Open { row, depth, hook: Some(hook) });
    }

    fn on_event(&self, event: &Event<'_>, ctx: LayerContext<'_, S>) {
        let meta = event.metadata();
        if !meta.target().starts_with("hooks_runtime") {
            return;
        }
        let mut fields = Fields::default();
        event.record(&mut fields);
        if fields.get("message") != "transition" {
            return;
        }
        let at = self.shared.now();
        let mut state = self.shared.lock();
        let row = ctx
            .event_scope(event)
            .and_then(|scope| scope.into_iter().find_map(|s| state.open.get(&s.id()).map(|o| o.row)));
        let row = match row {
            Some(row) => row,
            None => state.row_here(None, Some(fields.get("component"))),
        };
        let (old, new) = (fields.get("old").to_owned(), fields.get("new").to_owned());
        state.recording.transitions.push(Transition { row, at, old, new });
    }

    fn on_close(&self, id: Id, _ctx: LayerContext<'_, S>) {
        let end = self.shared.now();
        let mut state = self.shared.lock();
        if let Some(Open { row, depth, hook: Some(hook) }) = state.open.remove(&id) {
            let OpenHook { owner, method, hook_type, start } = hook;
            state.recording.runs.push(Run { row, owner, method, hook_type, start, end, depth });
        }
    }
}

/// The fields of a span or event, as text (`id` of a component as a number).
#[derive(Default)]
struct Fields {
    text: Vec<(&'static str, String)>,
    id: Option<u64>,
}

impl Fields {
    fn get(&self, name: &str) -> &str {
        self.text.iter().find(|(n, _)| *n == name).map_or("", |(_, v)| v)
    }
}

impl Visit for Fields {
    fn record_u64(&mut self, field: &Field, value: u64) {
        if field.name() == "id" {
            self.id = Some(value);
        }
        self.text.push((field.name(), value.to_string()));
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        self.text.push((field.name(), value.to_owned()));
    }

    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        self.text.push((field.name(), format!("{value:?}")));
    }
}

// ---- Writers: pure functions of a recording, so the same recording gives the same bytes. ----

/// Width of the label column, of the plotted time and height of a row, in SVG pixels.
const LABEL_WIDTH: f64 = 190.0;
const PLOT_WIDTH: f64 = 960.0;
const ROW_HEIGHT: f64 = 34.0;
/// Room above the rows for the time axis.
const TOP: f64 = 28.0;

/// Colours of the runtime's hook types; other hook types take [`OTHER_COLOURS`] in the order they
/// first appear.
const HOOK_COLOURS: &[(&str, &str)] = &[
    ("OnInit", "#4e79a7"),
    ("OnStart", "#59a14f"),
    ("OnStop", "#e15759"),
    ("OnStateChange", "#bab0ac"),
    ("BackgroundTask", "#76b7b2"),
    ("OnMessage", "#f28e2b"),
    ("OnPullMessage", "#ff9da7"),
    ("OnCommand", "#edc948"),
    ("OnRequest", "#b07aa1"),
];
const OTHER_COLOURS: &[&str] = &["#9c755f", "#8cd17d", "#d37295", "#499894", "#f1ce63", "#a0cbe8", "#86bcb6"];

impl Recording {
    /// The hook types that ran, in the order they first appear, with their colours.
    fn hook_colours(&self) -> Vec<(&str, &'static str)> {
        let mut colours: Vec<(&str, &'static str)> = Vec::new();
        let mut others = OTHER_COLOURS.iter().cycle();
        for run in &self.runs {
            if colours.iter().any(|(t, _)| *t == run.hook_type) {
                continue;
            }
            let known = HOOK_COLOURS.iter().find(|(t, _)| *t == run.hook_type).map(|(_, c)| *c);
            let colour = known.or_else(|| others.next().copied()).unwrap_or("#888888");
            colours.push((&run.hook_type, colour));
        }
        colours
    }

    /// The first and last instants recorded.
    fn extent(&self) -> (Duration, Duration) {
        let times = self.runs.iter().flat_map(|r| [r.start, r.end]);
        let times = times.chain(self.transitions.iter().map(|t| t.at));
        let times = times.chain(self.messages.iter().flat_map(|m| [m.sent, m.received]));
        times
            .fold(None, |acc: Option<(Duration, Duration)>, t| match acc {
                None => Some((t, t)),
                Some((a, b)) => Some((a.min(t), b.max(t))),
            })
            .unwrap_or_default()
    }

    /// The picture: a row per component (label at left), a bar per hook run coloured by hook type
    /// (nested runs inset), a tick per transition, an arrow per message from the sender's row to
    /// the receiver's; a legend below. Hovering shows each item's details (`<title>`).
    ///
    /// Each row is a `<g class="row">`, each bar a `<rect class="run">` inside its row, each tick a
    /// `<line class="transition">`, each arrow a `<line class="message">`.
    pub fn to_svg(&self) -> String {
        let (first, last) = self.extent();
        let span = (last - first).as_secs_f64().max(1e-6);
        let x = |t: Duration| LABEL_WIDTH + (t.saturating_sub(first)).as_secs_f64() / span * PLOT_WIDTH;
        let row_top = |row: usize| TOP + row as f64 * ROW_HEIGHT;
        let colours = self.hook_colours();
        let legend_top = row_top(self.rows.len()) + 16.0;
        let width = LABEL_WIDTH + PLOT_WIDTH + 20.0;
        let height = legend_top + 24.0;

        let mut svg = String::new();
        // `write!` to a String cannot fail.
        let _ = writeln!(svg, r#"<?xml version="1.0" encoding="UTF-8"?>"#);
        let _ = writeln!(
            svg,
            r#"<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0}" height="{height:.0}" viewBox="0 0 {width:.0} {height:.0}" font-family="sans-serif" font-size="12">"#
        );
        svg.push_str("<title>hooks timeline</title>\n");
        svg.push_str(concat!(
            r#"<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse">"#,
            r##"<path d="M 0 0 L 10 5 L 0 10 z" fill="#333"/></marker></defs>"##,
            "\n"
        ));
        let _ = writeln!(svg, r#"<rect width="{width:.0}" height="{height:.0}" fill="white"/>"#);

        // Time axis: about eight ticks at 1, 2 or 5 × a power of ten milliseconds.
        let span_ms = span * 1000.0;
        let step = nice_step(span_ms / 8.0);
        let decimals = if step >= 1.0 { 0 } else { (-step.log10()).ceil() as usize };
        svg.push_str("<g class=\"axis\" fill=\"#555\">\n");
        let mut tick = 0.0;
        while tick <= span_ms + step * 1e-9 {
            let tx = LABEL_WIDTH + tick / span_ms * PLOT_WIDTH;
            let _ = writeln!(
                svg,
                r##"<line x1="{tx:.1}" y1="{:.1}" x2="{tx:.1}" y2="{:.1}" stroke="#ddd"/><text x="{tx:.1}" y="{:.1}" text-anchor="middle">{tick:.decimals$} ms</text>"##,
                TOP - 4.0,
                row_top(self.rows.len()),
                TOP - 8.0
            );
            tick += step;
        }
        svg.push_str("</g>\n");

        for (i, row) in self.rows.iter().enumerate() {
            let top = row_top(i);
            let label = match row.id {
                Some(id) => format!("{} #{id}", row.name),
                None => row.name.clone(),
            };
            let _ = writeln!(svg, r#"<g class="row" data-name="{}">"#, escape(&row.name));
            let fill = if i % 2 == 0 { "#f4f4f4" } else { "#fbfbfb" };
            let _ = writeln!(
                svg,
                r#"<rect x="0" y="{top:.1}" width="{width:.0}" height="{ROW_HEIGHT:.1}" fill="{fill}"/>"#
            );
            let _ = writeln!(svg, r#"<text x="8" y="{:.1}">{}</text>"#, top + ROW_HEIGHT / 2.0 + 4.0, escape(&label));
            for run in self.runs.iter().filter(|r| r.row == i) {
                let colour = colours.iter().find(|(t, _)| *t == run.hook_type).map_or("#888888", |(_, c)| c);
                let inset = 6.0 + 4.0 * run.depth as f64;
                let bar_height = (ROW_HEIGHT - 2.0 * inset).max(4.0);
                let (x0, x1) = (x(run.start), x(run.end));
                let _ = writeln!(
                    svg,
                    r##"<rect class="run" data-hook-type="{ty}" x="{x0:.1}" y="{:.1}" width="{:.1}" height="{bar_height:.1}" fill="{colour}" stroke="#333" stroke-width="0.5"><title>{}::{} ({ty}) {:.3} ms</title></rect>"##,
                    top + inset,
                    (x1 - x0).max(2.0),
                    escape(&run.owner),
                    escape(&run.method),
                    (run.end - run.start).as_secs_f64() * 1000.0,
                    ty = escape(&run.hook_type),
                );
            }
            for t in self.transitions.iter().filter(|t| t.row == i) {
                let tx = x(t.at);
                let _ = writeln!(
                    svg,
                    r##"<line class="transition" x1="{tx:.1}" y1="{:.1}" x2="{tx:.1}" y2="{:.1}" stroke="#222" stroke-width="1.5"><title>{} → {}</title></line>"##,
                    top + 2.0,
                    top + ROW_HEIGHT - 2.0,
                    escape(&t.old),
                    escape(&t.new)
                );
            }
            svg.push_str("</g>\n");
        }

        svg.push_str("<g class=\"messages\">\n");
        for m in &self.messages {
            let centre = |row: usize| row_top(row) + ROW_HEIGHT / 2.0;
            let name = |row: usize| self.rows.get(row).map_or("?", |r| r.name.as_str());
            let _ = writeln!(
                svg,
                r##"<line class="message" x1="{:.1}" y1="{:.1}" x2="{:.1}" y2="{:.1}" stroke="#333" stroke-width="1" marker-end="url(#arrow)"><title>{}: {} → {}</title></line>"##,
                x(m.sent),
                centre(m.from),
                x(m.received),
                centre(m.to),
                escape(&m.kind),
                escape(name(m.from)),
                escape(name(m.to))
            );
        }
        svg.push_str("</g>\n");

        // Legend: a swatch per hook type that ran, then the transition tick and the message arrow.
        svg.push_str("<g class=\"legend\">\n");
        let mut lx = 8.0;
        let ly = legend_top;
        for (hook_type, colour) in &colours {
            let _ = writeln!(
                svg,
                r##"<rect x="{lx:.1}" y="{:.1}" width="12" height="12" fill="{colour}" stroke="#333" stroke-width="0.5"/><text x="{:.1}" y="{ly:.1}">{}</text>"##,
                ly - 10.0,
                lx + 16.0,
                escape(hook_type)
            );
            lx += 16.0 + 7.5 * hook_type.chars().count() as f64 + 22.0;
        }
        let _ = writeln!(
            svg,
            r##"<line x1="{lx:.1}" y1="{:.1}" x2="{lx:.1}" y2="{:.1}" stroke="#222" stroke-width="1.5"/><text x="{:.1}" y="{ly:.1}">transition</text>"##,
            ly - 11.0,
            ly + 2.0,
            lx + 6.0
        );
        lx += 6.0 + 7.5 * 10.0 + 22.0;
        let _ = writeln!(
            svg,
            r##"<line x1="{lx:.1}" y1="{:.1}" x2="{:.1}" y2="{:.1}" stroke="#333" marker-end="url(#arrow)"/><text x="{:.1}" y="{ly:.1}">message</text>"##,
            ly - 4.0,
            lx + 24.0,
            ly - 4.0,
            lx + 30.0
        );
        svg.push_str("</g>\n</svg>\n");
        svg
    }

    /// The Chrome trace ("Trace Event Format" JSON, for Perfetto or `chrome://tracing`): a thread
    /// per row (named after the component), a complete event (`X`) per hook run with category =
    /// hook type, an instant event (`i`) per transition, and a flow (`s` then `f`) per message.
    pub fn to_chrome_trace(&self) -> String {
        use serde_json::json;
        // From whole nanoseconds: no binary noise (`56.666`, not `56.666000000000004`).
        let us = |t: Duration| t.as_nanos() as f64 / 1000.0;
        // Thread 0 is the process itself in trace viewers.
        let tid = |row: usize| row + 1;
        let mut events =
            vec![json!({"name": "process_name", "ph": "M", "pid": 1, "tid": 0, "args": {"name": "hooks"}})];
        for (i, row) in self.rows.iter().enumerate() {
            let name = match row.id {
                Some(id) => format!("{} #{id}", row.name),
                None => row.name.clone(),
            };
            events.push(json!({"name": "thread_name", "ph": "M", "pid": 1, "tid": tid(i), "args": {"name": name}}));
            events.push(
                json!({"name": "thread_sort_index", "ph": "M", "pid": 1, "tid": tid(i), "args": {"sort_index": i}}),
            );
        }
        for run in &self.runs {
            events.push(json!({
                "name": format!("{}::{}", run.owner, run.method),
                "cat": run.hook_type,
                "ph": "X",
                "ts": us(run.start),
                "dur": us(run.end - run.start),
                "pid": 1,
                "tid": tid(run.row),
                "args": {"owner": run.owner, "method": run.method, "hook_type": run.hook_type},
            }));
        }
        for t in &self.transitions {
            events.push(json!({
                "name": format!("{} → {}", t.old, t.new),
                "cat": "transition",
                "ph": "i",
                "s": "t",
                "ts": us(t.at),
                "pid": 1,
                "tid": tid(t.row),
            }));
        }
        for (id, m) in self.messages.iter().enumerate() {
            events.push(json!({"name": m.kind, "cat": "message", "ph": "s", "id": id, "ts": us(m.sent), "pid": 1, "tid": tid(m.from)}));
            // No binding point: the flow ends on the next slice of the receiver, its handler.
            events.push(json!({"name": m.kind, "cat": "message", "ph": "f", "id": id, "ts": us(m.received), "pid": 1, "tid": tid(m.to)}));
        }
        json!({"traceEvents": events, "displayTimeUnit": "ms"}).to_string()
    }
}

/// The smallest of 1, 2, 5 × a power of ten that is at least `raw`.
fn nice_step(raw: f64) -> f64 {
    let magnitude = 10f64.powf(raw.max(1e-9).log10().floor());
    [1.0, 2.0, 5.0, 10.0].into_iter().map(|m| m * magnitude).find(|s| *s >= raw).unwrap_or(10.0 * magnitude)
}

/// `text` as XML character data or attribute value.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    fn sample() -> Recording {
        Recording {
            rows: vec![Row { name: "A<&>".into(), id: Some(0) }, Row { name: "B".into(), id: Some(1) }],
            runs: vec![Run {
                row: 0,
                owner: "A".into(),
                method: "open".into(),
                hook_type: "OnInit".into(),
                start: ms(1),
                end: ms(3),
                depth: 0,
            }],
            transitions: vec![Transition { row: 1, at: ms(2), old: "Created".into(), new: "Initializing".into() }],
            messages: vec![MessageEdge { kind: "Status".into(), from: 0, to: 1, sent: ms(2), received: ms(4) }],
        }
    }

    #[test]
    fn the_svg_escapes_names_and_is_the_same_for_the_same_recording() {
        let svg = sample().to_svg();
        assert!(svg.contains("A&lt;&amp;&gt; #0"), "{svg}");
        assert!(!svg.contains("A<&>"));
        assert_eq!(svg, sample().to_svg());
        assert_eq!(svg.matches(r#"<g class="row""#).count(), 2);
        assert_eq!(svg.matches(r#"class="run""#).count(), 1);
        assert_eq!(svg.matches(r#"class="message""#).count(), 1);
    }

    #[test]
    fn an_empty_recording_is_still_a_picture() {
        let svg = Recording::default().to_svg();
        assert!(svg.trim_end().ends_with("</svg>"));
        assert!(!svg.contains("NaN") && !svg.contains("inf"));
    }

    #[test]
    fn axis_steps_are_one_two_or_five_times_a_power_of_ten() {
        assert_eq!(nice_step(0.7), 1.0);
        assert_eq!(nice_step(1.5), 2.0);
        assert_eq!(nice_step(30.0), 50.0);
        assert_eq!(nice_step(0.03), 0.05);
    }
}
