//! A writer for many short log lines from many threads: each line is copied
//! into one shared buffer, and a thread of its own writes out whatever has
//! gathered every few milliseconds, in one system call. tracing-appender's
//! non-blocking writer hands each line to its thread on a channel and wakes
//! it: an allocation, a futex call, a context switch and a `write` per
//! access-log line, when two cores serve tens of thousands of requests a second.

use std::io::Write;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::Duration;

use tracing_subscriber::fmt::MakeWriter;

#[derive(Clone, Copy)]
struct Limits {
    /// How long a line waits at most before it is written.
    gather_for: Duration,
    /// From this many bytes waiting, they are written at once.
    write_at: usize,
    /// Bytes waiting at most. A thread that logs beyond it waits for the writer,
    /// rather than a line being lost: operators rely on the access log being complete.
    max_waiting: usize,
}

const LIMITS: Limits = Limits { gather_for: Duration::from_millis(20), write_at: 64 * 1024, max_waiting: 4 << 20 };

struct Shared {
    state: Mutex<State>,
    /// Lines arrived in an empty buffer, `write_at` was passed, or the writer should finish.
    wake_writer: Condvar,
    /// The writer took the lines waiting.
    room: Condvar,
    limits: Limits,
}

#[derive(Default)]
struct State {
    waiting: Vec<u8>,
    closing: bool,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        // A thread that panicked while holding the lock left whole lines behind: carry on.
        self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn push(&self, line: &[u8]) {
        let mut state = self.lock();
        while state.waiting.len() >= self.limits.max_waiting && !state.closing {
            state = self.room.wait(state).unwrap_or_else(|poisoned| poisoned.into_inner());
        }
        let before = state.waiting.len();
        state.waiting.extend_from_slice(line);
        let after = state.waiting.len();
        drop(state);
        if before == 0 || (before < self.limits.write_at && after >= self.limits.write_at) {
            self.wake_writer.notify_one();
        }
    }

    /// The writer thread: waits for lines, lets them gather, writes them out.
    fn write_out(&self, mut sink: impl Write) {
        let mut taken = Vec::new();
        loop {
            let mut state = self.lock();
            while state.waiting.is_empty() && !state.closing {
                state = self.wake_writer.wait(state).unwrap_or_else(|poisoned| poisoned.into_inner());
            }
            if state.waiting.len() < self.limits.write_at && !state.closing {
                state = self
                    .wake_writer
                    .wait_timeout(state, self.limits.gather_for)
                    .unwrap_or_else(|poisoned| poisoned.into_inner())
                    .0;
            }
            std::mem::swap(&mut state.waiting, &mut taken);
            let closing = state.closing;
            drop(state);
            self.room.notify_all();
            // Nowhere to report a failed write to stderr; the lines are dropped, the server goes on.
            let _ = sink.write_all(&taken).and_then(|()| sink.flush());
            taken.clear();
            if closing && self.lock().waiting.is_empty() {
                return;
            }
        }
    }
}

/// The `MakeWriter` for tracing-subscriber: every line goes to the shared buffer.
#[derive(Clone)]
pub struct BatchedWriter {
    shared: Arc<Shared>,
}

/// Keep it until the program ends: dropping it writes out the lines still waiting.
#[must_use = "log lines still waiting are lost unless the guard lives until the end"]
pub struct FlushOnDrop {
    shared: Arc<Shared>,
    thread: Option<JoinHandle<()>>,
}

/// Starts the writer thread for `sink`.
pub fn start(sink: impl Write + Send + 'static) -> (BatchedWriter, FlushOnDrop) {
    start_with(sink, LIMITS)
}

fn start_with(sink: impl Write + Send + 'static, limits: Limits) -> (BatchedWriter, FlushOnDrop) {
    let shared = Arc::new(Shared {
        state: Mutex::new(State::default()),
        wake_writer: Condvar::new(),
        room: Condvar::new(),
        limits,
    });
    let writer_side = shared.clone();
    let thread = std::thread::Builder::new()
        .name("playerbase-log".into())
        .spawn(move || writer_side.write_out(sink))
        .expect("the log writer thread starts");
    (BatchedWriter { shared: shared.clone() }, FlushOnDrop { shared, thread: Some(thread) })
}

impl BatchedWriter {
    /// Queues whole lines; waits only when `max_waiting` bytes are already waiting.
    pub fn push(&self, lines: &[u8]) {
        self.shared.push(lines);
    }
}

impl Drop for FlushOnDrop {
    fn drop(&mut self) {
        self.shared.lock().closing = true;
        self.shared.wake_writer.notify_one();
        self.shared.room.notify_all();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

pub struct Line<'a>(&'a Shared);

impl Write for Line<'_> {
    fn write(&mut self, line: &[u8]) -> std::io::Result<usize> {
        self.0.push(line);
        Ok(line.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for BatchedWriter {
    type Writer = Line<'a>;

    fn make_writer(&'a self) -> Self::Writer {
        Line(&self.shared)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Instant;

    /// A sink the test can read while the writer thread writes to it; each
    /// write optionally takes a while, like a slow terminal.
    #[derive(Clone, Default)]
    struct Sink {
        bytes: Arc<Mutex<Vec<u8>>>,
        writes: Arc<Mutex<usize>>,
        largest_write: Arc<Mutex<usize>>,
        delay: Duration,
    }

    impl Write for Sink {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            std::thread::sleep(self.delay);
            self.bytes.lock().unwrap().extend_from_slice(buf);
            *self.writes.lock().unwrap() += 1;
            let mut largest = self.largest_write.lock().unwrap();
            *largest = (*largest).max(buf.len());
            Ok(buf.len())
        }

        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    impl Sink {
        fn text(&self) -> String {
            String::from_utf8(self.bytes.lock().unwrap().clone()).unwrap()
        }
    }

    /// Every line of every thread arrives whole, each thread's in the order written.
    fn check_lines(text: &str, threads: usize, lines: usize) {
        let mut next = vec![0; threads];
        for line in text.lines() {
            let (thread, n) = line.split_once(' ').unwrap();
            let (thread, n): (usize, usize) = (thread.parse().unwrap(), n.trim_end_matches('.').parse().unwrap());
            assert_eq!(n, next[thread], "thread {thread}'s lines out of order or broken: {line}");
            next[thread] += 1;
        }
        assert_eq!(next, vec![lines; threads]);
    }

    fn log_from_threads(writer: &BatchedWriter, threads: usize, lines: usize) {
        std::thread::scope(|scope| {
            for thread in 0..threads {
                scope.spawn(move || {
                    for n in 0..lines {
                        // Long enough that a torn line would show.
                        let line = format!("{thread} {n}{}\n", ".".repeat(n % 90));
                        writer.make_writer().write_all(line.as_bytes()).unwrap();
                    }
                });
            }
        });
    }

    #[test]
    fn lines_from_many_threads_arrive_whole_in_order_and_in_few_writes() {
        let sink = Sink::default();
        let (writer, guard) = start(sink.clone());
        log_from_threads(&writer, 8, 20_000);
        drop(guard);
        check_lines(&sink.text(), 8, 20_000);
        let writes = *sink.writes.lock().unwrap();
        assert!(writes < 1_000, "{writes} writes for 160,000 lines");
    }

    #[test]
    fn a_slow_sink_makes_loggers_wait_and_loses_nothing() {
        let sink = Sink { delay: Duration::from_millis(2), ..Sink::default() };
        let limits = Limits { gather_for: Duration::from_millis(1), write_at: 256, max_waiting: 1024 };
        let (writer, guard) = start_with(sink.clone(), limits);
        log_from_threads(&writer, 4, 500);
        drop(guard);
        check_lines(&sink.text(), 4, 500);
        // What waited at once: at most the limit, plus the line that reached it.
        let largest = *sink.largest_write.lock().unwrap();
        assert!(largest < 1024 + 100, "{largest} bytes waited at once");
    }

    #[test]
    fn a_lone_line_is_written_without_more_lines_or_the_end() {
        let sink = Sink::default();
        let (writer, _guard) = start(sink.clone());
        writer.make_writer().write_all(b"0 0\n").unwrap();
        let since = Instant::now();
        while sink.text().is_empty() {
            assert!(since.elapsed() < Duration::from_secs(5), "the line was never written");
            std::thread::sleep(Duration::from_millis(1));
        }
        assert_eq!(sink.text(), "0 0\n");
    }
}
