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
    log: mpsc::Receiver<String>,
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
    pub fn start_at(database: &str, env: &[(&str, &str)]) -> Server {
        let mut child = Command::new(env!("CARGO_BIN_EXE_playerbase"))
            .args(["serve", "--listen", "127.0.0.1:0", "--database", database])
            .envs(env.iter().copied())
            .env("RUST_LOG", "info")
            .stderr(Stdio::piped())
            .stdout(Stdio::null())
            .spawn()
            .unwrap();
        let (lines, log) = mpsc::channel();
        let stderr = BufReader::new(child.stderr.take().unwrap());
        std::thread::spawn(move || {
            for line in stderr.lines().map_while(Result::ok) {
                if lines.send(line).is_err() {
                    break;
                }
            }
        });
        let base = loop {
            let line = log.recv_timeout(Duration::from_secs(30)).expect("the server never said it was listening");
            if let Some((_, addr)) = line.split_once("listening on ") {
                break addr.trim().to_owned();
            }
        };
        Server { child, base, log, _database: None }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Sends SIGTERM and returns the exit status and everything logged.
    pub fn stop(mut self) -> (std::process::ExitStatus, String) {
        let pid = self.child.id().to_string();
        assert!(Command::new("kill").args(["-TERM", &pid]).status().unwrap().success());
        let status = self.child.wait().unwrap();
        let log: Vec<String> = self.log.try_iter().collect();
        (status, log.join("\n"))
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
