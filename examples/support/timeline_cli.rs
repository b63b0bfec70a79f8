//! What `quickstart` and `aiperf_style` share: `--timeline FILE.svg` and the tracing set-up.
//! (A module of both examples, included with `#[path]`; not an example itself.)

use std::path::{Path, PathBuf};

use hooks_runtime::Timeline;

/// `--timeline FILE.svg`: where to draw the run (the Chrome trace goes beside it, `FILE.json`).
pub(crate) fn timeline_path() -> Result<Option<PathBuf>, &'static str> {
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        if arg == "--timeline" {
            return args.next().map(PathBuf::from).map(Some).ok_or("--timeline needs a file name, e.g. run.svg");
        }
    }
    Ok(None)
}

/// Logs as `RUST_LOG` says; with a timeline, also records into it (its layer has its own filter).
pub(crate) fn init_tracing(timeline: Option<&Timeline>) {
    use tracing_subscriber::fmt::format::FmtSpan;
    use tracing_subscriber::prelude::*;
    let log = tracing_subscriber::fmt::layer()
        .with_span_events(FmtSpan::CLOSE)
        .with_filter(tracing_subscriber::EnvFilter::from_default_env());
    tracing_subscriber::registry().with(log).with(timeline.map(Timeline::layer)).init();
}

/// Writes the picture to `path` and the Chrome trace beside it.
pub(crate) fn write_timeline(timeline: &Timeline, path: &Path) -> std::io::Result<()> {
    let trace = path.with_extension("json");
    timeline.write_svg(path)?;
    timeline.write_chrome_trace(&trace)?;
    println!("timeline: {} (open {} in https://ui.perfetto.dev)", path.display(), trace.display());
    Ok(())
}
