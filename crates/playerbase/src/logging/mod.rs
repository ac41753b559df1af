//! Where log lines go: stderr, written by a thread of their own, so a
//! request formats its access-log line but never waits on the write.

pub mod access;
pub(crate) mod batched;
mod request_span;

use std::io::IsTerminal;

use tracing_subscriber::EnvFilter;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

/// Keep it until the program ends: dropping it writes out the lines still waiting.
#[must_use = "log lines still waiting are lost unless the guard lives until the end"]
pub struct LogGuard(#[allow(dead_code)] batched::FlushOnDrop);

/// Without `RUST_LOG` (or with it empty): INFO, but not PostgreSQL's notices
/// ("relation … already exists, skipping" at every migration check).
const DEFAULT_FILTER: &str = "info,sqlx::postgres::notice=warn";

/// Installs the global subscriber: `RUST_LOG` (default [`DEFAULT_FILTER`]), to stderr.
pub fn init() -> LogGuard {
    let ansi = std::io::stderr().is_terminal();
    let (writer, guard) = batched::start(std::io::stderr());
    access::install(access::Sink { writer: writer.clone(), ansi });
    let (filter, unreadable) = match std::env::var("RUST_LOG") {
        Err(std::env::VarError::NotPresent) => (EnvFilter::new(DEFAULT_FILTER), None),
        Ok(raw) if raw.trim().is_empty() => (EnvFilter::new(DEFAULT_FILTER), None),
        Ok(raw) => match EnvFilter::try_new(&raw) {
            Ok(filter) => (filter, None),
            Err(err) => (EnvFilter::new(DEFAULT_FILTER), Some((raw, err.to_string()))),
        },
        Err(err) => (EnvFilter::new(DEFAULT_FILTER), Some((String::new(), err.to_string()))),
    };
    tracing_subscriber::registry()
        .with(filter)
        .with(request_span::RequestSpanFields { ansi })
        .with(tracing_subscriber::fmt::layer().with_writer(writer).with_ansi(ansi))
        .init();
    if let Some((raw, err)) = unreadable {
        // An unset RUST_LOG is the default; one that does not parse is a mistake to point out.
        tracing::warn!(rust_log = %raw, error = %err, "RUST_LOG cannot be read; logging at the default, info");
    }
    LogGuard(guard)
}

/// What a test's logger wrote, readable by the test.
#[cfg(test)]
#[derive(Clone, Default)]
struct Written(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

#[cfg(test)]
impl std::io::Write for Written {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}
