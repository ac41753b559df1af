//! The listening socket: at most `limits.max_connections` open connections
//! (the next client waits in the kernel's backlog until one closes), and
//! Nagle's delay off, since answers are small and sent whole. A connection
//! whose answer cannot move for the stall limit is closed: a client that
//! asks and never reads would otherwise hold its place for ever.

use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, ready};
use std::time::Duration;

use axum::serve::Listener;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::time::{Sleep, sleep};

pub struct LimitedListener {
    inner: TcpListener,
    permits: Arc<Semaphore>,
    write_stall_limit: Duration,
}

impl LimitedListener {
    /// `max_connections` 0 means no limit beyond the process's open-file limit;
    /// a connection's writes may wait for the client to read for `write_stall_limit`.
    pub fn new(inner: TcpListener, max_connections: usize, write_stall_limit: Duration) -> Self {
        let permits = if max_connections == 0 { Semaphore::MAX_PERMITS } else { max_connections };
        Self { inner, permits: Arc::new(Semaphore::new(permits)), write_stall_limit }
    }
}

impl Listener for LimitedListener {
    type Io = LimitedStream;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        let permit = self.permits.clone().acquire_owned().await.expect("the semaphore is never closed");
        let (stream, addr) = Listener::accept(&mut self.inner).await;
        if let Err(err) = stream.set_nodelay(true) {
            tracing::debug!(error = %err, "could not turn Nagle's algorithm off");
        }
        (LimitedStream { stream, _permit: permit, write_stall_limit: self.write_stall_limit, stalled: None }, addr)
    }

    fn local_addr(&self) -> io::Result<Self::Addr> {
        self.inner.local_addr()
    }
}

/// A connection that gives its place back when it closes.
pub struct LimitedStream {
    stream: TcpStream,
    _permit: OwnedSemaphorePermit,
    write_stall_limit: Duration,
    /// Running while a write waits for the client to read.
    stalled: Option<Pin<Box<Sleep>>>,
}

impl LimitedStream {
    /// `write`'s result; a write still waiting when the stall limit runs out fails.
    fn bounded<T>(&mut self, cx: &mut Context<'_>, write: Poll<io::Result<T>>) -> Poll<io::Result<T>> {
        if write.is_ready() {
            self.stalled = None;
            return write;
        }
        let limit = self.write_stall_limit;
        ready!(self.stalled.get_or_insert_with(|| Box::pin(sleep(limit))).as_mut().poll(cx));
        Poll::Ready(Err(io::Error::new(io::ErrorKind::TimedOut, format!("the client read nothing for {limit:?}"))))
    }
}

impl AsyncRead for LimitedStream {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_read(cx, buf)
    }
}

impl AsyncWrite for LimitedStream {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        let write = Pin::new(&mut self.stream).poll_write(cx, buf);
        self.bounded(cx, write)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let write = Pin::new(&mut self.stream).poll_write_vectored(cx, bufs);
        self.bounded(cx, write)
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let flush = Pin::new(&mut self.stream).poll_flush(cx);
        self.bounded(cx, flush)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[tokio::test]
    async fn a_connection_past_the_limit_waits_for_one_to_close() {
        let mut listener =
            LimitedListener::new(TcpListener::bind("127.0.0.1:0").await.unwrap(), 1, Duration::from_secs(30));
        let addr = listener.local_addr().unwrap();
        let _first_client = TcpStream::connect(addr).await.unwrap();
        let (first, _) = listener.accept().await;
        let _second_client = TcpStream::connect(addr).await.unwrap();
        let waiting = tokio::time::timeout(Duration::from_millis(200), listener.accept()).await;
        assert!(waiting.is_err(), "the second connection was accepted while the first was open");
        drop(first);
        let accepted = tokio::time::timeout(Duration::from_secs(5), listener.accept()).await;
        assert!(accepted.is_ok(), "closing the first made room");
    }

    /// A client whose receive buffer is small, so that a few hundred KiB fill the way.
    async fn slow_reader(listener: &mut LimitedListener) -> (TcpStream, LimitedStream) {
        let socket = tokio::net::TcpSocket::new_v4().unwrap();
        socket.set_recv_buffer_size(4096).unwrap();
        let client = socket.connect(listener.local_addr().unwrap()).await.unwrap();
        let (server_side, _) = listener.accept().await;
        (client, server_side)
    }

    #[tokio::test]
    async fn an_answer_the_client_never_reads_fails_after_the_stall_limit() {
        use tokio::io::AsyncWriteExt;
        let limit = Duration::from_millis(300);
        let mut listener = LimitedListener::new(TcpListener::bind("127.0.0.1:0").await.unwrap(), 1, limit);
        let (_client, mut server_side) = slow_reader(&mut listener).await;
        let chunk = vec![b'x'; 64 * 1024];
        let started = std::time::Instant::now();
        let mut written = 0usize;
        let failed = tokio::time::timeout(Duration::from_secs(20), async {
            loop {
                match server_side.write(&chunk).await {
                    Ok(n) => written += n,
                    Err(err) => return err,
                }
            }
        })
        .await
        .expect("the stalled write failed before the test's own limit");
        assert_eq!(failed.kind(), io::ErrorKind::TimedOut);
        assert!(written > 0, "nothing was written before the stall");
        assert!(started.elapsed() >= limit, "failed after {:?}, before the stall limit", started.elapsed());
        // The place is given back once the connection is dropped.
        drop(server_side);
        let _next_client = TcpStream::connect(listener.local_addr().unwrap()).await.unwrap();
        let accepted = tokio::time::timeout(Duration::from_secs(5), listener.accept()).await;
        assert!(accepted.is_ok(), "the stalled connection's place was not given back");
    }

    // Two threads and a limit of a second: a loaded machine pausing one task must not look like a stall.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_client_that_keeps_reading_is_not_cut_however_long_the_answer_takes() {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let limit = Duration::from_secs(1);
        let mut listener = LimitedListener::new(TcpListener::bind("127.0.0.1:0").await.unwrap(), 1, limit);
        let mut client = TcpStream::connect(listener.local_addr().unwrap()).await.unwrap();
        let (mut server_side, _) = listener.accept().await;
        // Far more than both sockets' buffers hold: the writer waits for the reader again and again.
        let answer = vec![b'x'; 64 * 1024 * 1024];
        let reader = tokio::spawn(async move {
            let mut read = 0usize;
            let mut buf = vec![0u8; 256 * 1024];
            let started = std::time::Instant::now();
            loop {
                tokio::time::sleep(limit / 100).await;
                match client.read(&mut buf).await.unwrap() {
                    0 => return (read, started.elapsed()),
                    n => read += n,
                }
            }
        });
        server_side.write_all(&answer).await.expect("a reading client's answer was cut");
        server_side.shutdown().await.unwrap();
        let (read, took) = reader.await.unwrap();
        assert_eq!(read, answer.len());
        assert!(took > limit, "the answer went through in {took:?}, within one stall limit: nothing was tested");
    }
}
