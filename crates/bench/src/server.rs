//! Child processes: the real `playerbase` binary, and the ceiling server
//! (this binary in its `ceiling-server` mode). Each listens on a free
//! loopback port; each is stopped (SIGTERM, then SIGKILL) when dropped.

use std::ffi::OsStr;
use std::fs::File;
use std::io::{BufRead, BufReader};
use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};

pub struct Server {
    pub addr: SocketAddr,
    pub child: Child,
}

impl Server {
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Stops the process: SIGTERM (graceful), then SIGKILL after `grace`.
    pub fn stop(mut self, grace: Duration) {
        terminate(&mut self.child, grace);
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        terminate(&mut self.child, Duration::from_secs(5));
    }
}

fn terminate(child: &mut Child, grace: Duration) {
    if matches!(child.try_wait(), Ok(Some(_))) {
        return;
    }
    // Only this child, by its own pid.
    let _ = Command::new("kill").arg("-TERM").arg(child.id().to_string()).status();
    let until = Instant::now() + grace;
    while Instant::now() < until {
        if matches!(child.try_wait(), Ok(Some(_))) {
            return;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let _ = child.kill();
    let _ = child.wait();
}

/// A loopback port nobody listens on right now.
pub fn free_port() -> anyhow::Result<SocketAddr> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?)
}

/// `target/release/playerbase`, freshly built unless `given`.
pub fn playerbase_binary(given: Option<PathBuf>) -> anyhow::Result<PathBuf> {
    if let Some(path) = given {
        return Ok(path);
    }
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    eprintln!("building the server: {cargo} build --release -p playerbase");
    let status = Command::new(&cargo).args(["build", "--release", "-p", "playerbase"]).status()?;
    if !status.success() {
        bail!("cargo build --release -p playerbase failed");
    }
    let exe = std::env::current_exe()?;
    let path = exe.with_file_name("playerbase");
    if !path.exists() {
        bail!("no server binary at {}; pass --server-bin", path.display());
    }
    Ok(path)
}

/// A command for the server with no PLAYERBASE_* settings inherited.
fn playerbase_command(bin: &Path, database: &OsStr) -> Command {
    let mut command = Command::new(bin);
    for (key, _) in std::env::vars_os() {
        if key.to_string_lossy().starts_with("PLAYERBASE_") {
            command.env_remove(key);
        }
    }
    command.arg("--database").arg(database);
    command
}

/// Creates (and migrates) the database by creating an `awards:write` key; returns the key.
pub fn create_api_key(bin: &Path, database: &OsStr) -> anyhow::Result<String> {
    let output = playerbase_command(bin, database)
        .args(["api-key", "create", "--name", "bench", "--scope", "awards:write"])
        .stderr(Stdio::inherit())
        .output()?;
    if !output.status.success() {
        bail!("playerbase api-key create failed");
    }
    let key = String::from_utf8(output.stdout)?.trim().to_owned();
    if !key.starts_with("pbk_") {
        bail!("unexpected api-key output {key:?}");
    }
    Ok(key)
}

/// Starts `playerbase serve`; returns once `/healthz` answers 200, with the time that took.
pub async fn start_playerbase(
    bin: &Path,
    database: &OsStr,
    log: &Path,
    rust_log: Option<&str>,
) -> anyhow::Result<(Server, Duration)> {
    let addr = free_port()?;
    let mut command = playerbase_command(bin, database);
    command.args(["serve", "--listen", &addr.to_string()]);
    match rust_log {
        Some(filter) => command.env("RUST_LOG", filter),
        None => command.env_remove("RUST_LOG"),
    };
    let started = Instant::now();
    let child = command.stdin(Stdio::null()).stdout(File::create(log)?).stderr(File::create(log)?).spawn()?;
    let mut server = Server { addr, child };
    wait_healthy(&mut server, Duration::from_secs(600)).await?;
    Ok((server, started.elapsed()))
}

async fn wait_healthy(server: &mut Server, limit: Duration) -> anyhow::Result<()> {
    let until = Instant::now() + limit;
    loop {
        if let Some(status) = server.child.try_wait()? {
            bail!("the server exited during start-up: {status}");
        }
        if let Ok(Ok((200, _))) =
            tokio::time::timeout(Duration::from_secs(2), crate::load::fetch(server.addr, "/healthz")).await
        {
            return Ok(());
        }
        if Instant::now() > until {
            bail!("the server did not become healthy within {limit:?}");
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

/// Starts this binary's ceiling server answering `body_file`.
pub async fn start_ceiling(body_file: &Path, stack: crate::ceiling::Stack, log: &Path) -> anyhow::Result<Server> {
    let exe = std::env::current_exe()?;
    let stack = match stack {
        crate::ceiling::Stack::Bare => "bare",
        crate::ceiling::Stack::Layers => "layers",
    };
    let mut child = Command::new(exe)
        .args(["ceiling-server", "--listen", "127.0.0.1:0", "--stack", stack, "--body"])
        .arg(body_file)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(File::create(log)?)
        .spawn()?;
    let mut line = String::new();
    BufReader::new(child.stdout.take().context("ceiling stdout")?).read_line(&mut line)?;
    let addr = line.trim().strip_prefix("listening on ").context("ceiling server did not start")?.parse()?;
    let mut server = Server { addr, child };
    wait_healthy_ceiling(&mut server).await?;
    Ok(server)
}

async fn wait_healthy_ceiling(server: &mut Server) -> anyhow::Result<()> {
    for _ in 0..200 {
        if let Ok((200, _)) = crate::load::fetch(server.addr, "/api/v1/players/1").await {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    bail!("the ceiling server does not answer")
}

/// `(VmRSS, VmHWM)` of a process, in bytes.
pub fn memory(pid: u32) -> anyhow::Result<(u64, u64)> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    let field = |name: &str| -> anyhow::Result<u64> {
        let line = status.lines().find(|l| l.starts_with(name)).with_context(|| format!("no {name}"))?;
        let kib: u64 = line.split_whitespace().nth(1).context("no value")?.parse()?;
        Ok(kib * 1024)
    };
    Ok((field("VmRSS:")?, field("VmHWM:")?))
}

/// User + system CPU seconds of every process named `postgres` so far: the
/// PostgreSQL server's backends, the bench's and any other user's alike
/// (backends that exit take their counts with them).
pub fn postgres_cpu_seconds() -> f64 {
    let Ok(processes) = std::fs::read_dir("/proc") else { return 0.0 };
    processes
        .flatten()
        .filter(|p| p.file_name().to_string_lossy().bytes().all(|b| b.is_ascii_digit()))
        .filter(|p| std::fs::read_to_string(p.path().join("comm")).is_ok_and(|c| c.trim() == "postgres"))
        .filter_map(|p| cpu_seconds(p.file_name().to_string_lossy().parse().ok()?).ok())
        .sum()
}

/// User + system CPU seconds a process has used so far.
pub fn cpu_seconds(pid: u32) -> anyhow::Result<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"))?;
    // Fields after the command name (which may hold spaces) start at ')'.
    let rest = stat.rsplit_once(')').context("malformed stat")?.1;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let utime: f64 = fields[11].parse()?;
    let stime: f64 = fields[12].parse()?;
    Ok((utime + stime) / 100.0)
}

/// Context switches (voluntary and not) of every thread of a process so far.
/// Threads that ended are not counted, so sample long-lived processes only.
pub fn context_switches(pid: u32) -> u64 {
    let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) else { return 0 };
    tasks
        .flatten()
        .filter_map(|task| std::fs::read_to_string(task.path().join("status")).ok())
        .flat_map(|status| {
            status
                .lines()
                .filter(|l| l.ends_with("ctxt_switches") || l.contains("ctxt_switches:"))
                .filter_map(|l| l.split_whitespace().nth(1)?.parse::<u64>().ok())
                .collect::<Vec<_>>()
        })
        .sum()
}
