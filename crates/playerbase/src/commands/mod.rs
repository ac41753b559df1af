//! Command-line commands other than `serve`.

pub mod api_key;
pub mod backup;
pub mod import_flask;
pub mod migrate_database;
pub mod twitch_subscribe;

use std::io::{self, Write};

/// Standard output for a command's report. A reader that goes away
/// (`playerbase api-key list | head -1`) cuts the report short, never the
/// command's work: the rest of the report is dropped.
pub struct ReportOut<W = io::Stdout> {
    out: W,
    reader_gone: bool,
}

pub fn report_out() -> ReportOut {
    ReportOut { out: io::stdout(), reader_gone: false }
}

impl<W: Write> ReportOut<W> {
    /// Goes on as if written once the reader is gone.
    fn unless_gone<T>(&mut self, done: T, write: impl FnOnce(&mut W) -> io::Result<T>) -> io::Result<T> {
        if self.reader_gone {
            return Ok(done);
        }
        match write(&mut self.out) {
            Err(err) if err.kind() == io::ErrorKind::BrokenPipe => {
                self.reader_gone = true;
                Ok(done)
            }
            result => result,
        }
    }
}

impl<W: Write> Write for ReportOut<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.unless_gone(buf.len(), |out| out.write(buf))
    }

    fn flush(&mut self) -> io::Result<()> {
        self.unless_gone((), Write::flush)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Takes `accepted` bytes, then fails every write with `kind`.
    struct Failing {
        accepted: usize,
        kind: io::ErrorKind,
        writes: usize,
    }

    impl Write for Failing {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            self.writes += 1;
            if self.accepted == 0 {
                return Err(self.kind.into());
            }
            let n = buf.len().min(self.accepted);
            self.accepted -= n;
            Ok(n)
        }

        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn a_reader_gone_cuts_the_report_short_and_nothing_else() {
        let mut out =
            ReportOut { out: Failing { accepted: 4, kind: io::ErrorKind::BrokenPipe, writes: 0 }, reader_gone: false };
        for line in ["first line\n", "second\n", "third\n"] {
            writeln!(out, "{line}").expect("the command goes on");
        }
        assert_eq!(out.out.writes, 2, "one write taken in part, one refused, none tried after");
        out.flush().unwrap();
    }

    #[test]
    fn other_write_failures_are_still_errors() {
        let mut out =
            ReportOut { out: Failing { accepted: 0, kind: io::ErrorKind::StorageFull, writes: 0 }, reader_gone: false };
        assert_eq!(writeln!(out, "report").unwrap_err().kind(), io::ErrorKind::StorageFull);
    }
}
