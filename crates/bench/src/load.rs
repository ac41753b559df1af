//! The load generator: N keep-alive HTTP/1.1 connections (hyper's client
//! connection, no pool, no retries), each sending its next request as soon
//! as the previous answer's body has arrived, until a deadline or a count.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::Request;
use hyper::client::conn::http1::SendRequest;
use hyper_util::rt::TokioIo;
use rand::SeedableRng;
use rand::rngs::SmallRng;
use tokio::net::TcpStream;

use crate::STATS;

/// What a request would add if the server acknowledges it with a 200.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Credit {
    pub awards: u64,
    pub per_stat: [i64; STATS.len()],
}

impl Credit {
    pub fn add(&mut self, other: &Credit) {
        self.awards += other.awards;
        for (mine, theirs) in self.per_stat.iter_mut().zip(other.per_stat) {
            *mine += theirs;
        }
    }
}

/// One request to send, and what it is worth once acknowledged.
pub struct Job {
    pub request: Request<Full<Bytes>>,
    pub credit: Credit,
}

/// Builds the next request of a connection from that connection's random source.
pub type MakeJob = Arc<dyn Fn(&mut SmallRng) -> Job + Send + Sync>;

#[derive(Debug, Clone, Copy)]
pub enum Stop {
    After(Duration),
    Count(u64),
}

#[derive(Debug, Default)]
pub struct Outcome {
    pub ok: u64,
    /// Non-200 answers by status; 0 is a transport error.
    pub failed: BTreeMap<u16, u64>,
    pub elapsed: Duration,
    /// Latency of every request, send to last body byte, in microseconds.
    pub latencies_us: Vec<u32>,
    /// The sum of the credits of the 200 answers only.
    pub acknowledged: Credit,
    pub body_bytes: u64,
}

impl Outcome {
    pub fn per_second(&self) -> f64 {
        self.ok as f64 / self.elapsed.as_secs_f64()
    }

    pub fn failed_total(&self) -> u64 {
        self.failed.values().sum()
    }

    /// The q-quantile (0..=1) of the latencies, in milliseconds.
    pub fn quantile_ms(&mut self, q: f64) -> f64 {
        quantile_us(&mut self.latencies_us, q) / 1000.0
    }
}

pub fn quantile_us(samples: &mut [u32], q: f64) -> f64 {
    if samples.is_empty() {
        return f64::NAN;
    }
    samples.sort_unstable();
    let at = ((samples.len() - 1) as f64 * q).round() as usize;
    f64::from(samples[at])
}

pub fn get(path: &str) -> Request<Full<Bytes>> {
    Request::get(path).header("host", "127.0.0.1").body(Full::new(Bytes::new())).expect("a valid request")
}

pub fn post_json(path: &str, bearer: &str, body: Vec<u8>) -> Request<Full<Bytes>> {
    Request::post(path)
        .header("host", "127.0.0.1")
        .header("content-type", "application/json")
        .header("authorization", format!("Bearer {bearer}"))
        .body(Full::new(Bytes::from(body)))
        .expect("a valid request")
}

async fn connect(addr: SocketAddr) -> anyhow::Result<SendRequest<Full<Bytes>>> {
    let stream = TcpStream::connect(addr).await?;
    stream.set_nodelay(true)?;
    let (sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
    tokio::spawn(async move {
        let _ = connection.await;
    });
    Ok(sender)
}

/// Runs `conns` connections until `stop`, connection n to `addrs[n % len]`
/// (several instances share the load as a round-robin balancer would spread
/// connections); every request under way at the deadline is waited for, so
/// nothing is abandoned.
pub async fn run(addrs: &[SocketAddr], conns: usize, stop: Stop, seed: u64, make: MakeJob) -> anyhow::Result<Outcome> {
    let issued = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let deadline = match stop {
        Stop::After(duration) => Some(started + duration),
        Stop::Count(_) => None,
    };
    let limit = match stop {
        Stop::Count(n) => n,
        Stop::After(_) => u64::MAX,
    };
    let mut tasks = Vec::with_capacity(conns);
    for n in 0..conns {
        let make = make.clone();
        let issued = issued.clone();
        let addr = addrs[n % addrs.len()];
        tasks.push(tokio::spawn(async move {
            let mut rng = SmallRng::seed_from_u64(seed ^ (n as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15));
            let mut outcome = Outcome::default();
            let mut sender = None;
            loop {
                if deadline.is_some_and(|d| Instant::now() >= d) || issued.fetch_add(1, Ordering::Relaxed) >= limit {
                    break;
                }
                let job = make(&mut rng);
                let begun = Instant::now();
                if sender.is_none() {
                    sender = connect(addr).await.ok();
                }
                let answer = match sender.as_mut() {
                    Some(s) => send(s, job.request).await,
                    None => Err(anyhow::anyhow!("cannot connect")),
                };
                outcome.latencies_us.push(u32::try_from(begun.elapsed().as_micros()).unwrap_or(u32::MAX));
                match answer {
                    Ok((200, bytes)) => {
                        outcome.ok += 1;
                        outcome.body_bytes += bytes;
                        outcome.acknowledged.add(&job.credit);
                    }
                    Ok((status, _)) => *outcome.failed.entry(status).or_default() += 1,
                    Err(_) => {
                        *outcome.failed.entry(0).or_default() += 1;
                        sender = None;
                    }
                }
            }
            outcome
        }));
    }
    let mut total = Outcome::default();
    for task in tasks {
        let outcome = task.await?;
        total.ok += outcome.ok;
        for (status, n) in outcome.failed {
            *total.failed.entry(status).or_default() += n;
        }
        total.latencies_us.extend(outcome.latencies_us);
        total.acknowledged.add(&outcome.acknowledged);
        total.body_bytes += outcome.body_bytes;
    }
    total.elapsed = started.elapsed();
    Ok(total)
}

async fn send(sender: &mut SendRequest<Full<Bytes>>, request: Request<Full<Bytes>>) -> anyhow::Result<(u16, u64)> {
    sender.ready().await?;
    let response = sender.send_request(request).await?;
    let status = response.status().as_u16();
    let body = response.into_body().collect().await?.to_bytes();
    Ok((status, body.len() as u64))
}

/// One GET on a fresh connection: the status and the body.
pub async fn fetch(addr: SocketAddr, path: &str) -> anyhow::Result<(u16, Bytes)> {
    let mut sender = connect(addr).await?;
    sender.ready().await?;
    let response = sender.send_request(get(path)).await?;
    let status = response.status().as_u16();
    Ok((status, response.into_body().collect().await?.to_bytes()))
}
