//! Where log lines go: stderr, written by a thread of their own, so a
//! request formats its access-log line but never waits on the write.

use std::io::{BufWriter, IsTerminal};

use tracing_appender::non_blocking::{NonBlockingBuilder, WorkerGuard};
use tracing_subscriber::EnvFilter;

/// Lines waiting for the writer thread at most. The thread takes every line
/// waiting into a buffer and flushes it when none is left, so a burst of
/// lines costs one write system call, not one per line. When stderr cannot keep up,
/// requests wait for room rather than lines being dropped (`lossy(false)`):
/// operators rely on the access log being complete.
const WAITING_LINES: usize = 16_384;

/// Keep it until the program ends: dropping it writes out the lines still waiting.
#[must_use = "log lines still waiting are lost unless the guard lives until the end"]
pub struct LogGuard(#[allow(dead_code)] WorkerGuard);

/// Installs the global subscriber: `RUST_LOG` (default `info`), to stderr.
pub fn init() -> LogGuard {
    let ansi = std::io::stderr().is_terminal();
    let (writer, guard) = NonBlockingBuilder::default()
        .lossy(false)
        .buffered_lines_limit(WAITING_LINES)
        .thread_name("playerbase-log")
        .finish(BufWriter::with_capacity(64 * 1024, std::io::stderr()));
    tracing_subscriber::fmt()
        .with_env_filter(EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")))
        .with_writer(writer)
        .with_ansi(ansi)
        .init();
    LogGuard(guard)
}
