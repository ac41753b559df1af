//! The real `playerbase` binary as a child process on a free loopback
//! port, driven over HTTP as a game client or a load balancer would.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use crate::database::FreshDatabase;

pub struct Server {
    child: Child,
    base: String,
    /// What the server logged before it listened.
    pub startup_log: Vec<String>,
    log: mpsc::Receiver<String>,
    /// Reads the server's stderr into `log` until the process closes it.
    reader: Option<std::thread::JoinHandle<()>>,
    /// The database, when this server owns it; `None` when it shares one another owner drops.
    _database: Option<FreshDatabase>,
}

impl Server {
    /// Starts `playerbase serve` on a free port with a fresh SQLite file and waits until it listens.
    pub fn start(env: &[(&str, &str)]) -> Server {
        Self::start_on(FreshDatabase::sqlite(), env)
    }

    /// Starts a server that owns `fresh`: the database goes when the server does.
    pub fn start_on(fresh: FreshDatabase, env: &[(&str, &str)]) -> Server {
        let mut server = Self::start_at(&fresh.database, env);
        server._database = Some(fresh);
        server
    }

    /// Starts a server on `database` (a path or URL) that others may share; the caller keeps it alive.
    /// `env` comes on top of `RUST_LOG=info`, so it may set another filter.
    pub fn start_at(database: &str, env: &[(&str, &str)]) -> Server {
        let mut child = Command::new(env!("CARGO_BIN_EXE_playerbase"))
            .args(["serve", "--listen", "127.0.0.1:0", "--database", database])
            .env("RUST_LOG", "info")
            .envs(env.iter().copied())
            .stderr(Stdio::piped())
            .stdout(Stdio::null())
            .spawn()
            .unwrap();
        let (lines, log) = mpsc::channel();
        let stderr = BufReader::new(child.stderr.take().unwrap());
        let reader = std::thread::spawn(move || {
            for line in stderr.lines().map_while(Result::ok) {
                if lines.send(line).is_err() {
                    break;
                }
            }
        });
        let mut seen = Vec::new();
        let base = loop {
            let Ok(line) = log.recv_timeout(Duration::from_secs(30)) else {
                let _ = child.kill();
                panic!("the server never said it was listening:\n{}", seen.join("\n"));
            };
            if let Some((_, addr)) = line.split_once("listening on ") {
                break addr.trim().to_owned();
            }
            seen.push(line);
        };
        Server { child, base, startup_log: seen, log, reader: Some(reader), _database: None }
    }

    /// `host:port` the server listens on.
    pub fn address(&self) -> &str {
        self.base.trim_start_matches("http://")
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Whether the process is still running.
    pub fn is_running(&mut self) -> bool {
        self.child.try_wait().unwrap().is_none()
    }

    /// Sends SIGTERM and returns the exit status and everything logged.
    pub fn stop(self) -> (std::process::ExitStatus, String) {
        self.signal("-TERM")
    }

    /// Sends SIGKILL, as a crash would, and returns the exit status and everything logged.
    pub fn kill(self) -> (std::process::ExitStatus, String) {
        self.signal("-KILL")
    }

    /// Sends SIGTERM and waits up to `limit` for the process to exit;
    /// `None` (and the process killed) if it is still running then.
    pub fn stop_within(mut self, limit: Duration) -> Option<(std::process::ExitStatus, String)> {
        self.send("-TERM");
        let deadline = std::time::Instant::now() + limit;
        while std::time::Instant::now() < deadline {
            if let Some(status) = self.child.try_wait().unwrap() {
                return Some((status, self.log_to_end()));
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        None
    }

    fn send(&self, signal: &str) {
        let pid = self.child.id().to_string();
        assert!(Command::new("kill").args([signal, &pid]).status().unwrap().success());
    }

    fn signal(mut self, signal: &str) -> (std::process::ExitStatus, String) {
        self.send(signal);
        let status = self.child.wait().unwrap();
        (status, self.log_to_end())
    }

    /// Everything the exited process logged.
    fn log_to_end(&mut self) -> String {
        // The reader ends at the end of stderr: every line is in `log` after this.
        if let Some(reader) = self.reader.take() {
            let _ = reader.join();
        }
        let log: Vec<String> = self.log.try_iter().collect();
        log.join("\n")
    }
}

impl Drop for Server {
    /// A test that fails before `stop` leaves no server running behind it.
    fn drop(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}
