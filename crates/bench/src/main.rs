//! `playerbase-bench`: drives the real release `playerbase` binary over
//! loopback HTTP and prints a Markdown table of figures, each beside a
//! baseline measured in the same run. See BENCHMARKS.md.

mod audience;
mod ceiling;
mod db;
mod load;
mod report;
mod server;
mod soak;

use std::fmt::Write as _;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::{Parser, Subcommand};
use playerbase::domain::{PeriodKey, StatCatalog, stats::seed_stat_specs};
use playerbase::leaderboards::{Change, Leaderboards};
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};

use crate::audience::Audience;
use crate::db::Database;
use crate::load::{Credit, Job, MakeJob, Stop};
use crate::report::{Report, mib, ms};

/// The ten default stats, in configuration order.
pub const STATS: [&str; 10] = [
    "meleeAtkXp",
    "mageAtkXp",
    "rangeAtkXp",
    "healthXp",
    "shieldXp",
    "evasionXp",
    "sizeXp",
    "blockXp",
    "ResistXp",
    "speedXp",
];

#[derive(Parser)]
#[command(name = "playerbase-bench", about = "Benchmarks the release playerbase server against same-run baselines")]
struct Cli {
    #[command(subcommand)]
    mode: Option<Mode>,
    /// Players seeded before the server starts, each with all ten stats.
    #[arg(long)]
    players: Option<u64>,
    /// A run of about a minute: 100,000 players and short phases.
    #[arg(long)]
    quick: bool,
    /// Seconds each throughput phase runs.
    #[arg(long)]
    duration: Option<f64>,
    /// Connections for profile reads and the ceiling.
    #[arg(long, default_value_t = 64)]
    read_conns: usize,
    /// Connections sending single-award requests.
    #[arg(long, default_value_t = 64)]
    award_conns: usize,
    /// Connections sending batches.
    #[arg(long, default_value_t = 4)]
    batch_conns: usize,
    /// Awards per batch request (the route allows 10,000).
    #[arg(long, default_value_t = 10_000)]
    batch_size: usize,
    /// The awards (and the database's own rate for them) go to this many
    /// players, drawn at random once, as a stream's audience would; default:
    /// every seeded player alike, the worst case for the database's pages.
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..))]
    active_players: Option<u64>,
    /// Sequential requests per latency figure.
    #[arg(long)]
    latency_requests: Option<u64>,
    /// The server binary (default: build and use target/release/playerbase).
    #[arg(long)]
    server_bin: Option<PathBuf>,
    /// RUST_LOG for the server (default: unset, so the shipped `info`).
    #[arg(long)]
    server_log: Option<String>,
    /// Where the temporary directory goes (default: the system's).
    #[arg(long)]
    dir: Option<PathBuf>,
    /// Keep the temporary directory (database, logs) and print its path.
    #[arg(long)]
    keep: bool,
    /// Run only these phases (the seeding, start-up and in-process figures always run).
    #[arg(long, value_enum, value_delimiter = ',')]
    only: Vec<Phase>,
    /// Instead of the benchmark: a soak of mixed load (EventSub included) for
    /// SECONDS (default 600), failing if any answer is not a 2xx or the
    /// database does not hold what the EventSub deliveries should have done;
    /// prints requests, latencies, memory and the database check.
    #[arg(long, value_name = "SECONDS", num_args = 0..=1, default_missing_value = "600")]
    soak: Option<u64>,
    /// Seed of every random choice.
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// A `postgres://` URL: the servers run on PostgreSQL, in a schema the
    /// bench creates in that database and drops at the end (its role must
    /// be allowed to create schemas). Default: a fresh SQLite file.
    #[arg(long)]
    database: Option<String>,
    /// `playerbase serve` processes on the one database, each on its own
    /// port; the load's connections are spread over them. More than one
    /// needs `--database postgres://…`.
    #[arg(long, default_value_t = 1)]
    instances: usize,
}

#[derive(Subcommand)]
enum Mode {
    /// The ceiling server (started by the benchmark itself).
    #[command(hide = true)]
    CeilingServer {
        #[arg(long)]
        listen: String,
        #[arg(long)]
        body: PathBuf,
        #[arg(long, value_enum)]
        stack: ceiling::Stack,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Phase {
    /// The ceilings and profile reads.
    Reads,
    /// Top-100 and rank-of-player latency.
    Leaderboards,
    /// Single-award requests.
    Singles,
    /// Batch requests.
    Batches,
}

struct Plan {
    players: u64,
    duration: Duration,
    warmup: Duration,
    latency_requests: u64,
    direct_awards: u64,
    around_samples: usize,
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    if let Some(Mode::CeilingServer { listen, body, stack }) = &cli.mode {
        return ceiling::serve(listen, body, *stack);
    }
    let plan = Plan {
        players: cli.players.unwrap_or(if cli.quick { 100_000 } else { 1_000_000 }),
        duration: Duration::from_secs_f64(cli.duration.unwrap_or(if cli.quick { 3.0 } else { 10.0 })),
        warmup: Duration::from_secs(1),
        latency_requests: cli.latency_requests.unwrap_or(if cli.quick { 300 } else { 2000 }),
        direct_awards: if cli.quick { 50_000 } else { 200_000 },
        around_samples: if cli.quick { 20_000 } else { 200_000 },
    };
    // The load generator: two workers, as many as the machine has cores.
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    runtime.block_on(run(cli, plan))
}

fn say(message: impl AsRef<str>) {
    eprintln!("[bench] {}", message.as_ref());
}

async fn run(cli: Cli, plan: Plan) -> anyhow::Result<()> {
    anyhow::ensure!(cli.instances >= 1, "--instances must be at least 1");
    let bin = server::playerbase_binary(cli.server_bin.clone())?;
    let tmp = match &cli.dir {
        Some(dir) => tempfile::Builder::new().prefix("playerbase-bench").tempdir_in(dir)?,
        None => tempfile::Builder::new().prefix("playerbase-bench").tempdir()?,
    };
    let dir = tmp.path().to_owned();
    say(format!("working in {}", dir.display()));
    if let Some(seconds) = cli.soak {
        let soak = soak::Soak { bin: &bin, dir: &dir, seconds, seed: cli.seed, server_log: cli.server_log.as_deref() };
        let report = soak::run(soak).await;
        if cli.keep {
            say(format!("kept {}", tmp.keep().display()));
        }
        println!("{}", report?);
        return Ok(());
    }
    let database = match cli.database.as_deref() {
        None => Database::sqlite(dir.join("playerbase.db")),
        Some(url) if url.starts_with("postgres://") || url.starts_with("postgresql://") => {
            let schema = format!("pbbench_{}_{}", std::process::id(), db::unix_now());
            Database::postgres(url, &schema).await?
        }
        Some(_) => anyhow::bail!("--database takes a postgres:// URL (without it, the bench uses a fresh SQLite file)"),
    };
    if let Database::Postgres { schema, .. } = &database {
        say(format!("PostgreSQL schema {schema}"));
    }
    let outcome = if cli.instances > 1 && !database.is_postgres() {
        Err(anyhow::anyhow!("several instances share one database only on PostgreSQL: pass --database postgres://…"))
    } else {
        bench(&cli, &plan, &bin, &dir, &database).await
    };
    if cli.keep {
        let kept = tmp.keep();
        say(format!("kept {}", kept.display()));
        if let Database::Postgres { schema, .. } = &database {
            say(format!("kept the schema {schema}"));
        }
    } else if let Database::Postgres { admin, schema, .. } = &database {
        // The baselines' copy is dropped as soon as they are done, unless a failure came first.
        db::postgres::drop_schema(admin, &format!("{schema}_direct")).await?;
        database.discard().await?;
    }
    println!("{}", outcome?.render());
    Ok(())
}

/// Seeds `database`, measures the baselines, starts the servers and runs the phases.
async fn bench(cli: &Cli, plan: &Plan, bin: &Path, dir: &Path, database: &Database) -> anyhow::Result<Report> {
    let want = |phase: Phase| cli.only.is_empty() || cli.only.contains(&phase);
    let backend = database.name();
    let mut rng = SmallRng::seed_from_u64(cli.seed);
    let audience = Arc::new(Audience::new(plan.players, cli.active_players, cli.seed));
    let mut report = Report::new(&plan_line(cli, plan, &audience));
    report
        .note(format!("Load average before the run (other work on the machine competes for its cores): {}", loadavg()));

    // The database: migrated by the server's own CLI, then seeded directly.
    let key = server::create_api_key(bin, &database.server_arg())?;
    say(format!("seeding {} players x {} stats", plan.players, STATS.len()));
    let seeding = database.seed_players(plan.players, &mut rng).await?;
    let db_size = database.size().await?;
    say(format!("seeded in {:.1} s, {}", seeding.as_secs_f64(), mib(db_size)));
    report.note(format!(
        "Seeded {} players × 10 stats ({} player_stats rows) directly in {:.1} s; {} {}.",
        plan.players,
        plan.players * 10,
        seeding.as_secs_f64(),
        if database.is_postgres() { "schema (tables and indexes)" } else { "database file" },
        mib(db_size)
    ));

    // Baselines that need no server, on an identical copy of the data, before the server runs.
    let copy = database.copy("direct", |copy| server::create_api_key(bin, copy).map(drop)).await?;
    let (read_time, rows, melee) = copy.read_all_values(STATS[0]).await?;
    say(format!("raw read of {rows} rows: {:.2} s", read_time.as_secs_f64()));
    let inproc = in_process_ranks(&melee, plan.around_samples, &mut rng);
    drop(melee);
    say(format!(
        "in-process: build {:.2} s/board, around p50 {:.2} µs p99 {:.2} µs",
        inproc.build.as_secs_f64(),
        inproc.around_p50_us,
        inproc.around_p99_us
    ));
    let mut directs = None;
    if want(Phase::Batches) || want(Phase::Singles) {
        let mut rates = Vec::new();
        // PostgreSQL's page cache is its server's setting: only SQLite's is varied.
        let caches: &[Option<u64>] = if copy.is_postgres() { &[None] } else { &[None, Some(256)] };
        for &cache_mib in caches {
            for (awards, per_tx) in
                [(plan.direct_awards, 10_000), (plan.direct_awards / 5, 64), (plan.direct_awards / 20, 1)]
            {
                let (time, _) = copy.direct_awards(&audience, awards, per_tx, cache_mib, &mut rng).await?;
                let rate = awards as f64 / time.as_secs_f64();
                say(format!("{backend} direct, {per_tx}/tx, cache {cache_mib:?} MiB: {rate:.0} awards/s"));
                rates.push(rate);
            }
        }
        directs = Some(Directs {
            batch: rates[0],
            group: rates[1],
            single: rates[2],
            big_cache: rates.get(3).map(|batch| (*batch, rates[4])),
        });
    }
    copy.discard().await?;

    // The servers at full size: start-up and memory.
    let mut servers = Vec::new();
    let mut startups = Vec::new();
    for n in 0..cli.instances {
        let log = dir.join(format!("playerbase-{n}.log"));
        let (pb, startup) =
            server::start_playerbase(bin, &database.server_arg(), &log, cli.server_log.as_deref(), &[]).await?;
        let (rss, hwm) = server::memory(pb.pid())?;
        say(format!(
            "playerbase pid {} on {} up in {:.2} s, VmRSS {} (peak {})",
            pb.pid(),
            pb.addr,
            startup.as_secs_f64(),
            mib(rss),
            mib(hwm)
        ));
        servers.push(pb);
        startups.push(startup);
    }
    let memories = servers.iter().map(|s| server::memory(s.pid())).collect::<anyhow::Result<Vec<_>>>()?;
    let each = |values: Vec<String>| values.join(" / ");
    let index_estimate = inproc.heap_bytes * STATS.len() as u64;
    report.row(
        &format!(
            "Start-up at {} players (spawn to first 200 on /healthz){}",
            plan.players,
            if cli.instances > 1 { ", each instance in turn" } else { "" }
        ),
        each(startups.iter().map(|s| format!("{:.2} s", s.as_secs_f64())).collect()),
        format!(
            "{:.2} s: {backend} reading the {rows} rows directly; {:.2} s: building the 10 boards in-process",
            read_time.as_secs_f64(),
            inproc.build.as_secs_f64() * STATS.len() as f64
        ),
        "",
        "",
    );
    let rss_loaded = memories.iter().map(|m| m.0).max().unwrap_or(0);
    report.row(
        "Server resident memory after loading (VmRSS)",
        each(memories.iter().map(|m| mib(m.0)).collect()),
        format!("{}: the 10 boards' entries (`heap_bytes`)", mib(index_estimate)),
        "< 256 MiB",
        report::verdict(rss_loaded < 256 << 20),
    );
    report.row(
        "Server peak memory during loading (VmHWM)",
        each(memories.iter().map(|m| mib(m.1)).collect()),
        "",
        "",
        "",
    );
    report.row(
        &format!("One board's entries in-process, then after one award to each of {} of its players", inproc.awarded),
        format!(
            "{:.1} MiB → {:.1} MiB",
            inproc.heap_bytes as f64 / 1048576.0,
            inproc.heap_bytes_after_awards as f64 / 1048576.0
        ),
        format!("{}: 16 bytes × {} entries", mib(16 * plan.players), plan.players),
        "",
        "",
    );

    // Profile reads against the ceiling of the stack.
    let addrs: Vec<SocketAddr> = servers.iter().map(|s| s.addr).collect();
    let on_postgres = database.is_postgres();
    let (status, profile) = load::fetch(addrs[0], "/api/v1/players/1").await?;
    anyhow::ensure!(status == 200, "GET /api/v1/players/1 answered {status}");
    let body_file = dir.join("profile.json");
    std::fs::write(&body_file, &profile)?;
    let players = plan.players;
    let profiles: MakeJob = Arc::new(move |rng: &mut SmallRng| Job {
        request: load::get(&format!("/api/v1/players/{}", rng.gen_range(1..=players))),
        credit: Credit::default(),
    });
    let mut floor = None;
    if want(Phase::Reads) {
        // As many ceiling processes as instances, the connections spread over them alike.
        let bare = start_ceilings(cli.instances, &body_file, ceiling::Stack::Bare, dir).await?;
        let layered = start_ceilings(cli.instances, &body_file, ceiling::Stack::Layers, dir).await?;
        // The three take turns in short rounds, so that other work on the
        // machine falls on all three alike rather than on one phase.
        let slice = plan.duration / READ_ROUNDS;
        let warmup = plan.warmup / READ_ROUNDS;
        let (mut bare_run, mut layered_run, mut reads) =
            (Measured::default(), Measured::default(), Measured::default());
        let (mut layered_ratios, mut read_ratios) = (Vec::new(), Vec::new());
        say(format!("phase: profile reads and the ceilings, {} rounds", READ_ROUNDS));
        for round in 0..u64::from(READ_ROUNDS) {
            let seed = cli.seed ^ (round << 8);
            let conns = cli.read_conns;
            let bare_round = measured_for(&bare, conns, warmup, slice, profiles.clone(), seed, false).await?;
            let layered_round = measured_for(&layered, conns, warmup, slice, profiles.clone(), seed, false).await?;
            let reads_round = measured_for(&servers, conns, warmup, slice, profiles.clone(), seed, on_postgres).await?;
            let ceiling = bare_round.outcome.per_second();
            layered_ratios.push(layered_round.outcome.per_second() / ceiling);
            read_ratios.push(reads_round.outcome.per_second() / ceiling);
            bare_run.absorb(bare_round);
            layered_run.absorb(layered_round);
            reads.absorb(reads_round);
        }
        stop_all(layered, Duration::from_secs(2));
        let mut bare_latency =
            load::run(&[bare[0].addr], 1, Stop::Count(plan.latency_requests), cli.seed, profiles.clone()).await?;
        stop_all(bare, Duration::from_secs(2));
        floor = Some(format!(
            "p50 {} / p99 {}: the ceiling's round trip, 1 conn",
            ms(bare_latency.quantile_ms(0.5)),
            ms(bare_latency.quantile_ms(0.99))
        ));

        let ceiling = bare_run.outcome.per_second();
        report.row(
            &format!("Ceiling: trivial axum handler, the same {}-byte body, {} conns", profile.len(), cli.read_conns),
            format!("{ceiling:.0} req/s"),
            format!(
                "p50 {} / p99 {}; {}",
                ms(bare_run.outcome.quantile_ms(0.5)),
                ms(bare_run.outcome.quantile_ms(0.99)),
                bare_run.cpu_note()
            ),
            "",
            "",
        );
        report.row(
            "Ceiling + playerbase's middleware (request id, trace span, INFO access-log line, request metrics, trailing-slash normalisation)",
            format!("{:.0} req/s", layered_run.outcome.per_second()),
            format!(
                "{} of the ceiling (median of {READ_ROUNDS} rounds' ratios; {} over the whole phase); {}",
                report::pct(median(&mut layered_ratios)),
                report::pct(layered_run.outcome.per_second() / ceiling),
                layered_run.cpu_note()
            ),
            "",
            "",
        );
        let ratio = median(&mut read_ratios);
        report.note(format!(
            "Profile reads / ceiling, round by round: {}; ceiling with middleware / ceiling: {}",
            read_ratios.iter().map(|r| report::pct(*r)).collect::<Vec<_>>().join(", "),
            layered_ratios.iter().map(|r| report::pct(*r)).collect::<Vec<_>>().join(", ")
        ));
        report.note(format!(
            "CPU per request, load generator + server (what sets the rate when the two cores run nothing else): \
             ceiling {:.1} µs, with middleware {:.1} µs ({} of the ceiling's rate), profile reads {:.1} µs ({})",
            bare_run.cpu_per_request_us(),
            layered_run.cpu_per_request_us(),
            report::pct(bare_run.cpu_per_request_us() / layered_run.cpu_per_request_us()),
            reads.cpu_per_request_us(),
            report::pct(bare_run.cpu_per_request_us() / reads.cpu_per_request_us()),
        ));
        report.row(
            &format!("Profile reads `GET /api/v1/players/{{id}}`, random ids, {} conns", cli.read_conns),
            format!("{:.0} req/s", reads.outcome.per_second()),
            format!(
                "{} of the ceiling (median of {READ_ROUNDS} rounds' ratios; {} over the whole phase); p50 {} / p99 {}; {}",
                report::pct(ratio),
                report::pct(reads.outcome.per_second() / ceiling),
                ms(reads.outcome.quantile_ms(0.5)),
                ms(reads.outcome.quantile_ms(0.99)),
                reads.cpu_note()
            ),
            "≥ 70 % of the ceiling",
            report::verdict(ratio >= 0.7 && reads.outcome.failed_total() == 0),
        );
        report.failures("profile reads", &reads.outcome);
    }

    // Leaderboards at full size, one request at a time.
    if want(Phase::Leaderboards) {
        let floor = floor.unwrap_or_default();
        let top: MakeJob = Arc::new(|_: &mut SmallRng| Job {
            request: load::get("/api/v1/leaderboards/meleeAtkXp?limit=100"),
            credit: Credit::default(),
        });
        let mut top_run = load::run(&addrs[..1], 1, Stop::Count(plan.latency_requests), cli.seed, top).await?;
        let around: MakeJob = Arc::new(move |rng: &mut SmallRng| Job {
            request: load::get(&format!(
                "/api/v1/leaderboards/meleeAtkXp/players/{}?radius=5",
                rng.gen_range(1..=players)
            )),
            credit: Credit::default(),
        });
        let mut around_run = load::run(&addrs[..1], 1, Stop::Count(plan.latency_requests), cli.seed, around).await?;
        report.row(
            &format!(
                "Top-100 `GET /api/v1/leaderboards/meleeAtkXp?limit=100`, 1 conn, {} requests",
                plan.latency_requests
            ),
            format!("p50 {} / p99 {}", ms(top_run.quantile_ms(0.5)), ms(top_run.quantile_ms(0.99))),
            floor.clone(),
            "",
            "",
        );
        report.failures("top-100", &top_run);
        report.row(
            &format!(
                "Rank of player `…/meleeAtkXp/players/{{id}}?radius=5`, random ids, 1 conn, {} requests",
                plan.latency_requests
            ),
            format!("p50 {} / p99 {}", ms(around_run.quantile_ms(0.5)), ms(around_run.quantile_ms(0.99))),
            floor,
            "",
            "",
        );
        report.failures("rank of player", &around_run);
    }
    report.row(
        &format!(
            "`Leaderboards::around` in-process (server-side rank computation), {} players, radius 5",
            plan.players
        ),
        format!("p50 {:.2} µs / p99 {:.2} µs", inproc.around_p50_us, inproc.around_p99_us),
        format!("`page(0, 100)` of the same board: p50 {:.2} µs", inproc.page_p50_us),
        "< 1 ms",
        report::verdict(inproc.around_p99_us < 1000.0),
    );

    // Awards, each run checked against the file.
    let directs = directs.unwrap_or_default();
    if want(Phase::Singles) {
        let single_key = key.clone();
        let single_audience = audience.clone();
        let singles: MakeJob = Arc::new(move |rng: &mut SmallRng| {
            let player = single_audience.pick(rng);
            let stat = rng.gen_range(0..STATS.len());
            let amount = rng.gen_range(1..=10i64);
            let mut credit = Credit { awards: 1, ..Credit::default() };
            credit.per_stat[stat] = amount;
            let body = format!(r#"{{"stats":{{"{}":{amount}}}}}"#, STATS[stat]).into_bytes();
            Job { request: load::post_json(&format!("/api/v1/players/{player}/awards"), &single_key, body), credit }
        });
        say(format!("phase: single awards, {} conns", cli.award_conns));
        let before = database.totals().await?;
        let mut single_run =
            measured_cold(&servers, cli.award_conns, plan.duration, singles, cli.seed, on_postgres).await?;
        let after = database.totals().await?;
        let single_check = db::check(&before, &after, &single_run.outcome.acknowledged);
        let single_rate = single_run.outcome.per_second();
        report.row(
            &format!("Single awards `POST /api/v1/players/{{id}}/awards`, {} conns", cli.award_conns),
            format!("{single_rate:.0} req/s"),
            format!(
                "{backend} direct: {:.0} awards/s at 64 per transaction, {:.0} at 1 per transaction; p50 {} / p99 {}; {}",
                directs.group,
                directs.single,
                ms(single_run.outcome.quantile_ms(0.5)),
                ms(single_run.outcome.quantile_ms(0.99)),
                single_run.cpu_note()
            ),
            "≥ 10,000 req/s",
            report::verdict(single_rate >= 10_000.0 && single_check.is_ok()),
        );
        report.failures("single awards", &single_run.outcome);
        report.check("single awards", single_run.outcome.acknowledged.awards, &single_check);
    }

    if want(Phase::Batches) {
        let batch_key = key.clone();
        let batch_size = cli.batch_size;
        let batch_audience = audience.clone();
        let batches: MakeJob = Arc::new(move |rng: &mut SmallRng| {
            let mut credit = Credit { awards: batch_size as u64, ..Credit::default() };
            let mut body = String::with_capacity(batch_size * 52 + 16);
            body.push_str(r#"{"awards":["#);
            for n in 0..batch_size {
                let stat = rng.gen_range(0..STATS.len());
                let amount = rng.gen_range(1..=10i64);
                credit.per_stat[stat] += amount;
                if n > 0 {
                    body.push(',');
                }
                let player = batch_audience.pick(rng);
                let _ = write!(body, r#"{{"player_id":{player},"stat":"{}","amount":{amount}}}"#, STATS[stat]);
            }
            body.push_str("]}");
            Job { request: load::post_json("/api/v1/awards", &batch_key, body.into_bytes()), credit }
        });
        say(format!("phase: batch awards, {} conns", cli.batch_conns));
        let before = database.totals().await?;
        let mut batch_run =
            measured_cold(&servers, cli.batch_conns, plan.duration * 2, batches, cli.seed, on_postgres).await?;
        let after = database.totals().await?;
        let batch_check = db::check(&before, &after, &batch_run.outcome.acknowledged);
        let batch_rate = batch_run.outcome.acknowledged.awards as f64 / batch_run.outcome.elapsed.as_secs_f64();
        report.row(
            &format!("Batch awards `POST /api/v1/awards`, {} per request, {} conns", batch_size, cli.batch_conns),
            format!("{batch_rate:.0} awards/s"),
            format!(
                "{backend} direct, 10,000 per transaction: {:.0} awards/s ({} of it); request p50 {} / p99 {}; {}",
                directs.batch,
                report::pct(batch_rate / directs.batch),
                ms(batch_run.outcome.quantile_ms(0.5)),
                ms(batch_run.outcome.quantile_ms(0.99)),
                batch_run.cpu_note()
            ),
            "≥ 100,000 awards/s",
            report::verdict(batch_rate >= 100_000.0 && batch_check.is_ok()),
        );
        report.failures("batch awards", &batch_run.outcome);
        report.check("batch awards", batch_run.outcome.acknowledged.awards, &batch_check);
    }
    if let Some((batch, group)) = directs.big_cache {
        report.row(
            "SQLite direct with a 256 MiB page cache (not the server's setting; for reading the above)",
            format!("{batch:.0} awards/s at 10,000 per transaction"),
            format!("{group:.0} awards/s at 64 per transaction"),
            "",
            "",
        );
    }

    let memories = servers.iter().map(|s| server::memory(s.pid())).collect::<anyhow::Result<Vec<_>>>()?;
    report.row(
        "Server memory at the end (VmRSS / VmHWM)",
        memories.iter().map(|(rss, hwm)| format!("{} / {}", mib(*rss), mib(*hwm))).collect::<Vec<_>>().join("; "),
        "",
        "",
        "",
    );
    stop_all(servers, Duration::from_secs(30));
    report.note(format!("Load average after the run: {}", loadavg()));
    Ok(report)
}

async fn start_ceilings(
    count: usize,
    body_file: &Path,
    stack: ceiling::Stack,
    dir: &Path,
) -> anyhow::Result<Vec<server::Server>> {
    let mut ceilings = Vec::new();
    for n in 0..count {
        let log = dir.join(format!("ceiling-{stack:?}-{n}.log").to_lowercase());
        ceilings.push(server::start_ceiling(body_file, stack, &log).await?);
    }
    Ok(ceilings)
}

fn stop_all(servers: Vec<server::Server>, grace: Duration) {
    for server in servers {
        server.stop(grace);
    }
}

fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "unknown".into())
}

/// The database's own award rates, in awards per second.
#[derive(Default)]
struct Directs {
    batch: f64,
    group: f64,
    single: f64,
    /// SQLite only: 10,000 and 64 per transaction with a 256 MiB page cache.
    big_cache: Option<(f64, f64)>,
}

fn plan_line(cli: &Cli, plan: &Plan, audience: &Audience) -> String {
    let servers = match (&cli.database, cli.instances) {
        (None, _) => "1 server on SQLite".to_owned(),
        (Some(_), 1) => "1 server on PostgreSQL".to_owned(),
        (Some(_), n) => format!("{n} servers on one PostgreSQL, connections spread round-robin"),
    };
    format!(
        "{servers}, players {}, phases {:.0} s (batches {:.0} s), read conns {}, award conns {}, batch conns {} × {} awards, awards to {}, {} sequential requests per latency figure, seed {}",
        plan.players,
        plan.duration.as_secs_f64(),
        plan.duration.as_secs_f64() * 2.0,
        cli.read_conns,
        cli.award_conns,
        cli.batch_conns,
        cli.batch_size,
        audience.describe(),
        plan.latency_requests,
        cli.seed
    )
}

/// Rounds of the read phases; see where they run.
const READ_ROUNDS: u32 = 5;

/// A run's outcome with the servers' CPU time over it (all instances together).
#[derive(Default)]
struct Measured {
    outcome: load::Outcome,
    server_cpu: f64,
    /// This process's CPU time over the run: the load generator's.
    client_cpu: f64,
    switches: u64,
    /// Every `postgres` process's CPU over the run, when the servers run on PostgreSQL.
    postgres_cpu: Option<f64>,
}

impl Measured {
    /// Adds another run of the same phase to this one.
    fn absorb(&mut self, other: Measured) {
        self.outcome.absorb(other.outcome);
        self.server_cpu += other.server_cpu;
        self.client_cpu += other.client_cpu;
        self.switches += other.switches;
        if let Some(postgres) = other.postgres_cpu {
            *self.postgres_cpu.get_or_insert(0.0) += postgres;
        }
    }

    /// Client and server CPU per answered request, in µs: on a machine
    /// with nothing else to run, throughput is inversely proportional to it.
    fn cpu_per_request_us(&self) -> f64 {
        (self.server_cpu + self.client_cpu) * 1e6 / (self.outcome.ok + self.outcome.failed_total()).max(1) as f64
    }

    fn cpu_note(&self) -> String {
        let requests = self.outcome.ok + self.outcome.failed_total();
        let per_request = |seconds: f64| seconds * 1e6 / requests.max(1) as f64;
        let cores = |seconds: f64| seconds / self.outcome.elapsed.as_secs_f64();
        let mut note = format!(
            "server CPU {:.0} µs/req ({:.2} cores), {:.1} context switches/req",
            per_request(self.server_cpu),
            cores(self.server_cpu),
            self.switches as f64 / requests.max(1) as f64
        );
        if let Some(postgres) = self.postgres_cpu {
            let _ = write!(note, "; PostgreSQL CPU {:.0} µs/req ({:.2} cores)", per_request(postgres), cores(postgres));
        }
        let _ = write!(
            note,
            "; load generator CPU {:.0} µs/req ({:.2} cores)",
            per_request(self.client_cpu),
            cores(self.client_cpu)
        );
        note
    }
}

/// A warm-up of `warmup`, then the measured run of `duration`.
async fn measured_for(
    servers: &[server::Server],
    conns: usize,
    warmup: Duration,
    duration: Duration,
    make: MakeJob,
    seed: u64,
    on_postgres: bool,
) -> anyhow::Result<Measured> {
    let addrs: Vec<SocketAddr> = servers.iter().map(|s| s.addr).collect();
    load::run(&addrs, conns, Stop::After(warmup), seed ^ 1, make.clone()).await?;
    measured_cold(servers, conns, duration, make, seed, on_postgres).await
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

/// One run of `duration`, with no warm-up (award runs: every request counts).
async fn measured_cold(
    servers: &[server::Server],
    conns: usize,
    duration: Duration,
    make: MakeJob,
    seed: u64,
    on_postgres: bool,
) -> anyhow::Result<Measured> {
    let addrs: Vec<SocketAddr> = servers.iter().map(|s| s.addr).collect();
    let cpu = || -> anyhow::Result<f64> { servers.iter().map(|s| server::cpu_seconds(s.pid())).sum() };
    let switches = || -> u64 { servers.iter().map(|s| server::context_switches(s.pid())).sum() };
    let cpu_before = cpu()?;
    let client_before = server::cpu_seconds(std::process::id())?;
    let switches_before = switches();
    let postgres_before = server::postgres_cpu_seconds();
    let outcome = load::run(&addrs, conns, Stop::After(duration), seed, make).await?;
    let server_cpu = cpu()? - cpu_before;
    let client_cpu = server::cpu_seconds(std::process::id())? - client_before;
    let switches = switches().saturating_sub(switches_before);
    let postgres_cpu = on_postgres.then(|| server::postgres_cpu_seconds() - postgres_before);
    say(format!(
        "{} ok, {} failed in {:.2} s: {:.0}/s",
        outcome.ok,
        outcome.failed_total(),
        outcome.elapsed.as_secs_f64(),
        outcome.per_second()
    ));
    Ok(Measured { outcome, server_cpu, client_cpu, switches, postgres_cpu })
}

struct InProcess {
    build: Duration,
    heap_bytes: u64,
    /// After `awarded` players of the board had one award each.
    heap_bytes_after_awards: u64,
    awarded: usize,
    around_p50_us: f64,
    around_p99_us: f64,
    page_p50_us: f64,
}

/// The rank computation itself, without HTTP or SQLite: one board of
/// `values` (by player id) in the library's `Leaderboards`.
fn in_process_ranks(values: &[i64], samples: usize, rng: &mut SmallRng) -> InProcess {
    let catalog = StatCatalog::from_specs(&seed_stat_specs()).expect("the default stats are valid");
    let boards = Leaderboards::new(&catalog);
    let entries: Vec<(i64, i64)> = values.iter().enumerate().skip(1).map(|(id, v)| (id as i64, *v)).collect();
    let players = entries.len();
    let started = Instant::now();
    boards.load(STATS[0], PeriodKey::ALL_TIME, entries);
    let build = started.elapsed();
    let mut around = Vec::with_capacity(samples);
    let mut sink = 0u64;
    for _ in 0..samples {
        let id = rng.gen_range(1..=players);
        let started = Instant::now();
        let (rank, standings) = boards.around(STATS[0], PeriodKey::ALL_TIME, id as i64, values[id], 5);
        around.push(started.elapsed().as_nanos() as u32);
        sink = sink.wrapping_add(rank).wrapping_add(standings.len() as u64);
    }
    let mut page = Vec::with_capacity(1000);
    for _ in 0..1000 {
        let started = Instant::now();
        let (total, standings) = boards.page(STATS[0], PeriodKey::ALL_TIME, 0, 100);
        page.push(started.elapsed().as_nanos() as u32);
        sink = sink.wrapping_add(total as u64).wrapping_add(standings.len() as u64);
    }
    std::hint::black_box(sink);
    let heap_bytes = boards.heap_bytes() as u64;
    // One award to about one player in ten: every block of the board takes inserts.
    let changes: Vec<Change> = (0..players / 10)
        .map(|_| {
            let id = rng.gen_range(1..=players);
            Change {
                stat: STATS[0].to_owned(),
                period: PeriodKey::ALL_TIME,
                player_id: id as i64,
                old: Some(values[id]),
                new: values[id] + 1,
            }
        })
        .collect();
    let mut seen = std::collections::HashSet::new();
    let changes: Vec<Change> = changes.into_iter().filter(|c| seen.insert(c.player_id)).collect();
    boards.apply(&changes);
    InProcess {
        build,
        heap_bytes,
        heap_bytes_after_awards: boards.heap_bytes() as u64,
        awarded: changes.len(),
        around_p50_us: load::quantile_us(&mut around, 0.5) / 1000.0,
        around_p99_us: load::quantile_us(&mut around, 0.99) / 1000.0,
        page_p50_us: load::quantile_us(&mut page, 0.5) / 1000.0,
    }
}
