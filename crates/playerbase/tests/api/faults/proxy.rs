//! A TCP proxy on loopback between the server and PostgreSQL, so a test can
//! take the database away from one server — cut every connection, refuse
//! new ones — without touching the PostgreSQL server other tests share.

use std::collections::HashSet;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::JoinHandle;

pub struct Proxy {
    pub addr: SocketAddr,
    shared: Arc<Shared>,
    accepting: JoinHandle<()>,
}

struct Shared {
    upstream: String,
    open: AtomicBool,
    /// Connections are accepted and never answered, as from a database that hangs.
    silent: AtomicBool,
    /// Bumped by every cut; each piped connection ends when it changes.
    cuts: watch::Sender<u64>,
    /// The local addresses of the live upstream connections, as PostgreSQL
    /// sees its clients (`pg_stat_activity.client_port`).
    upstream_ports: Mutex<HashSet<u16>>,
}

impl Proxy {
    /// Listens on 127.0.0.1:0 and pipes each connection to `upstream` (`host:port`).
    pub async fn start(upstream: String) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let shared = Arc::new(Shared {
            upstream,
            open: AtomicBool::new(true),
            silent: AtomicBool::new(false),
            cuts: watch::channel(0).0,
            upstream_ports: Mutex::new(HashSet::new()),
        });
        let accepting = tokio::spawn(accept(listener, shared.clone()));
        Proxy { addr, shared, accepting }
    }

    /// The database is gone: every connection is cut, new ones are closed at once.
    pub fn cut(&self) {
        self.shared.open.store(false, Ordering::SeqCst);
        self.shared.cuts.send_modify(|n| *n += 1);
    }

    /// The database is back.
    pub fn restore(&self) {
        self.shared.silent.store(false, Ordering::SeqCst);
        self.shared.open.store(true, Ordering::SeqCst);
    }

    /// The database hangs: every connection is cut, new ones are accepted and never answered.
    pub fn fall_silent(&self) {
        self.shared.silent.store(true, Ordering::SeqCst);
        self.shared.cuts.send_modify(|n| *n += 1);
    }

    /// The database server is stopped: every connection is cut and the
    /// port refuses new ones (where [`Proxy::cut`] accepts and closes them).
    pub async fn stop_listening(&mut self) {
        self.cut();
        self.accepting.abort();
        // Aborted, the task drops its listener, and with it the port.
        let _ = (&mut self.accepting).await;
    }

    /// Listening again on the same address after [`Proxy::stop_listening`].
    pub async fn listen_again(&mut self) {
        let listener = TcpListener::bind(self.addr).await.unwrap();
        self.accepting = tokio::spawn(accept(listener, self.shared.clone()));
        self.restore();
    }

    pub fn upstream_ports(&self) -> HashSet<u16> {
        self.shared.upstream_ports.lock().unwrap().clone()
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.accepting.abort();
        self.cut();
    }
}

async fn accept(listener: TcpListener, shared: Arc<Shared>) {
    loop {
        let Ok((client, _)) = listener.accept().await else { continue };
        if !shared.open.load(Ordering::SeqCst) {
            drop(client);
            continue;
        }
        if shared.silent.load(Ordering::SeqCst) {
            let mut cuts = shared.cuts.subscribe();
            tokio::spawn(async move {
                let _held = client;
                let _ = cuts.changed().await;
            });
            continue;
        }
        tokio::spawn(pipe(client, shared.clone()));
    }
}

async fn pipe(mut client: TcpStream, shared: Arc<Shared>) {
    let mut cuts = shared.cuts.subscribe();
    let Ok(mut server) = TcpStream::connect(&shared.upstream).await else { return };
    // A cut between the accept and the subscription above must still end this one.
    if !shared.open.load(Ordering::SeqCst) {
        return;
    }
    let port = server.local_addr().map(|a| a.port()).unwrap_or(0);
    shared.upstream_ports.lock().unwrap().insert(port);
    tokio::select! {
        _ = tokio::io::copy_bidirectional(&mut client, &mut server) => {}
        _ = cuts.changed() => {}
    }
    shared.upstream_ports.lock().unwrap().remove(&port);
    // Dropping both ends closes them: the server sees its database connection die.
}

/// `url` (a `postgres://` URL) with its host and port replaced by `addr`,
/// and the `host:port` it named.
pub fn through(url: &str, addr: SocketAddr) -> (String, String) {
    let after_scheme = url.find("://").map(|i| i + 3).expect("a postgres:// URL");
    let rest = &url[after_scheme..];
    let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
    let host_start = rest[..authority_end].rfind('@').map(|i| i + 1).unwrap_or(0);
    let host = &rest[host_start..authority_end];
    let upstream = if host.contains(':') { host.to_owned() } else { format!("{host}:5432") };
    let proxied = format!("{}{}{addr}{}", &url[..after_scheme], &rest[..host_start], &rest[authority_end..]);
    (proxied, upstream)
}

#[test]
fn through_replaces_the_host_and_port_only() {
    let addr: SocketAddr = "127.0.0.1:9".parse().unwrap();
    assert_eq!(
        through("postgres://u:p@127.0.0.1:5432/db?options=x", addr),
        ("postgres://u:p@127.0.0.1:9/db?options=x".to_owned(), "127.0.0.1:5432".to_owned())
    );
    assert_eq!(
        through("postgres://localhost/db", addr),
        ("postgres://127.0.0.1:9/db".to_owned(), "localhost:5432".to_owned())
    );
}
