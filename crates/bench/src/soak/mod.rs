//! `--soak SECONDS`: mixed load on the real release server for a long
//! time — profile reads, leaderboard reads, single and batch awards, logins,
//! EventSub deliveries — counting every answer that is not a 2xx and
//! sampling the server's resident memory every 10 s, to show it neither
//! fails nor grows; then checking the database for what EventSub did.

mod check;
mod eventsub;
mod lanes;

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use rand::SeedableRng;
use rand::rngs::SmallRng;

use crate::report::mib;
use crate::{db, load, say, server};
use lanes::{Kind, Tally};

/// How often the server's VmRSS is read.
const SAMPLE_EVERY: Duration = Duration::from_secs(10);
/// Players seeded before the start: enough for realistic boards, quick to seed.
const PLAYERS: u64 = 100_000;
/// Accounts with a password, for the login lane.
const ACCOUNTS: usize = 8;
/// A soak is about staying healthy, not the server's limits: the server's
/// own [limits] are raised so the login lane is never refused by design.
const SERVER_LIMITS: [(&str, &str); 3] = [
    ("PLAYERBASE_LIMITS__LOGIN_PER_IP", "100000"),
    ("PLAYERBASE_LIMITS__REGISTER_PER_IP", "100000"),
    ("PLAYERBASE_LIMITS__LOGIN_FAILURES_PER_ACCOUNT", "100000"),
];

pub struct Soak<'a> {
    pub bin: &'a Path,
    pub dir: &'a Path,
    pub seconds: u64,
    pub seed: u64,
    pub server_log: Option<&'a str>,
}

/// Runs the soak and returns the Markdown report; an error if any answer
/// was not a 2xx or the database does not hold what EventSub should have done.
pub async fn run(soak: Soak<'_>) -> anyhow::Result<String> {
    let load_before = crate::loadavg();
    let database = soak.dir.join("playerbase.db");
    let key = server::create_api_key(soak.bin, database.as_os_str())?;
    let mut rng = SmallRng::seed_from_u64(soak.seed);
    say(format!("seeding {PLAYERS} players"));
    db::sqlite::seed_players(&database, PLAYERS, &mut rng)?;
    let log = soak.dir.join("playerbase.log");
    let twitch = eventsub::server_env();
    let env: Vec<(&str, &str)> =
        SERVER_LIMITS.iter().copied().chain(twitch.iter().map(|(key, value)| (*key, value.as_str()))).collect();
    let (pb, _) = server::start_playerbase(soak.bin, database.as_os_str(), &log, soak.server_log, &env).await?;
    let accounts = lanes::register_accounts(pb.addr, ACCOUNTS).await?;
    let mut stream = eventsub::Feed::new(Kind::Events, "stream", (0, 1)).expect("an EventSub feed");
    eventsub::stream_change(pb.addr, &mut stream, true).await?;
    say(format!("soaking {} s against pid {} on {}", soak.seconds, pb.pid(), pb.addr));

    let duration = Duration::from_secs(soak.seconds);
    let started = Instant::now();
    let pid = pb.pid();
    let sampler = tokio::spawn(async move {
        let mut samples = Vec::new();
        let mut every = tokio::time::interval(SAMPLE_EVERY);
        loop {
            every.tick().await;
            let at = started.elapsed();
            if let Ok((rss, _)) = server::memory(pid) {
                samples.push((at, rss));
            }
            if at >= duration {
                return samples;
            }
        }
    });
    let (tallies, mut deliveries) =
        lanes::run_all(pb.addr, started + duration, soak.seed, Arc::new(key), Arc::new(accounts), PLAYERS).await?;
    let samples = sampler.await?;
    let alive = server::memory(pid).is_ok();
    eventsub::stream_change(pb.addr, &mut stream, false).await?;
    deliveries.merge(stream.log);
    // A graceful stop applies every EventSub message stored before it ends.
    pb.stop(Duration::from_secs(30));
    let checked = check::eventsub(&database, &deliveries)?;
    let unanswered = std::fs::read_to_string(&log)?.matches(eventsub::ANSWER_FAILED).count();

    let mut report = render(&soak, &tallies, &samples, &load_before, alive);
    report.push_str(&format!(
        "\nEventSub: {} distinct messages acknowledged (with one `stream.online` before the lanes and one `stream.offline` after them), {} exact resends acknowledged; {} Twitch ids named; {unanswered} chat-command answers failed to reach the closed Twitch port and were logged (`{}`).\n\n{}",
        deliveries.distinct(),
        deliveries.resent,
        deliveries.viewers.len(),
        eventsub::ANSWER_FAILED,
        checked.table
    ));
    let errors: u64 = tallies.iter().map(|(_, t)| t.errors()).sum();
    anyhow::ensure!(errors == 0 && alive, "{report}\nthe soak saw {errors} answers that were not 2xx");
    anyhow::ensure!(checked.ok, "{report}\nthe database does not hold what the EventSub deliveries should have done");
    Ok(report)
}

fn render(
    soak: &Soak<'_>,
    tallies: &[(Kind, Tally)],
    samples: &[(Duration, u64)],
    load_before: &str,
    alive: bool,
) -> String {
    let mut out = format!(
        "Soak: {} s of mixed load on SQLite, {PLAYERS} seeded players (reads to all, awards to the first {}), EventSub from {} Twitch viewer ids, seed {}; load average before {}, after {}.\n\n",
        soak.seconds,
        lanes::ACTIVE,
        eventsub::VIEWERS,
        soak.seed,
        load_before,
        crate::loadavg()
    );
    out.push_str("| Kind | Requests | Errors (non-2xx) | Per second | p50 | p99 |\n|---|---|---|---|---|---|\n");
    for (kind, tally) in tallies {
        let mut latencies = tally.latencies_us.clone();
        out.push_str(&format!(
            "| {} | {} | {} | {:.0} | {:.2} ms | {:.2} ms |\n",
            kind.describe(),
            tally.requests(),
            tally.errors(),
            tally.requests() as f64 / soak.seconds as f64,
            load::quantile_us(&mut latencies, 0.5) / 1000.0,
            load::quantile_us(&mut latencies, 0.99) / 1000.0,
        ));
    }
    for (kind, tally) in tallies.iter().filter(|(_, t)| t.errors() > 0) {
        out.push_str(&format!("\n{}: errors by status (0: transport) {:?}", kind.describe(), tally.failed));
    }
    let at = |fraction: f64| samples.get(((samples.len().saturating_sub(1)) as f64 * fraction).round() as usize);
    if let (Some(start), Some(middle), Some(end)) = (at(0.0), at(0.5), at(1.0)) {
        let change = (end.1 as f64 - middle.1 as f64) / middle.1 as f64 * 100.0;
        out.push_str(&format!(
            "\nServer VmRSS (sampled every {} s): start {} at {:.0} s, middle {} at {:.0} s, end {} at {:.0} s; middle → end {change:+.1} %.\n",
            SAMPLE_EVERY.as_secs(),
            mib(start.1),
            start.0.as_secs_f64(),
            mib(middle.1),
            middle.0.as_secs_f64(),
            mib(end.1),
            end.0.as_secs_f64(),
        ));
        let all: Vec<String> = samples.iter().map(|(_, rss)| format!("{:.0}", *rss as f64 / 1048576.0)).collect();
        out.push_str(&format!("All samples (MiB): {}\n", all.join(" ")));
    }
    if !alive {
        out.push_str("\nTHE SERVER PROCESS WAS GONE AT THE END.\n");
    }
    out
}
