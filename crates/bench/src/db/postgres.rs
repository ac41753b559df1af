//! Straight to PostgreSQL, with sqlx: a schema of the bench's own, seeding
//! players (COPY), PostgreSQL's own rate for the award rows (the baseline
//! of the award routes), and the totals the award runs are checked against.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use futures_util::TryStreamExt;
use rand::Rng;
use rand::rngs::SmallRng;
use sqlx::postgres::{PgPool, PgPoolOptions};
use sqlx::{Connection, PgConnection};

use super::{SEED_VALUE_MAX, Totals, unix_now};
use crate::STATS;
use crate::audience::Audience;
use crate::load::Credit;

/// `url` with its connections working in schema `name` (libpq's `options`,
/// which the server's URL parser passes on). Nothing else is changed: the
/// server runs with PostgreSQL's settings as they are, `synchronous_commit` included.
pub fn in_schema(url: &str, name: &str) -> String {
    let separator = if url.contains('?') { '&' } else { '?' };
    format!("{url}{separator}options=-c%20search_path%3D{name}")
}

pub async fn create_schema(admin: &str, name: &str) -> anyhow::Result<()> {
    let mut conn = PgConnection::connect(admin).await?;
    sqlx::query(&format!("CREATE SCHEMA {name}")).execute(&mut conn).await?;
    conn.close().await?;
    Ok(())
}

pub async fn drop_schema(admin: &str, name: &str) -> anyhow::Result<()> {
    let mut conn = PgConnection::connect(admin).await?;
    sqlx::query(&format!("DROP SCHEMA IF EXISTS {name} CASCADE")).execute(&mut conn).await?;
    conn.close().await?;
    Ok(())
}

pub async fn pool(url: &str) -> anyhow::Result<PgPool> {
    Ok(PgPoolOptions::new().max_connections(2).connect(url).await?)
}

/// Inserts players `1..=count`, named `p{id}`, without password, each with a
/// random value for each of the ten stats, with COPY; then moves the id
/// sequence past them and ANALYZEs, as a database in use would be.
pub async fn seed_players(url: &str, count: u64, rng: &mut SmallRng) -> anyhow::Result<Duration> {
    let started = Instant::now();
    let mut conn = PgConnection::connect(url).await?;
    let now = unix_now();
    let mut players = conn.copy_in_raw("COPY players (id, username, username_key, created_at) FROM STDIN").await?;
    let mut chunk = String::new();
    for id in 1..=count {
        chunk.push_str(&format!("{id}\tp{id}\tp{id}\t{now}\n"));
        if chunk.len() > 1 << 20 {
            players.send(std::mem::take(&mut chunk).into_bytes()).await?;
        }
    }
    players.send(std::mem::take(&mut chunk).into_bytes()).await?;
    players.finish().await?;
    let mut stats = conn.copy_in_raw("COPY player_stats (player_id, stat, value) FROM STDIN").await?;
    for id in 1..=count {
        for key in STATS {
            chunk.push_str(&format!("{id}\t{key}\t{}\n", rng.gen_range(0..SEED_VALUE_MAX)));
        }
        if chunk.len() > 1 << 20 {
            stats.send(std::mem::take(&mut chunk).into_bytes()).await?;
        }
    }
    stats.send(chunk.into_bytes()).await?;
    stats.finish().await?;
    sqlx::query("SELECT setval(pg_get_serial_sequence('players', 'id'), $1)")
        .bind(count as i64)
        .execute(&mut conn)
        .await?;
    sqlx::query("ANALYZE").execute(&mut conn).await?;
    conn.close().await?;
    Ok(started.elapsed())
}

/// Copies the seeded players and values of schema `from` into `url`'s
/// schema (migrated, empty), so the direct baseline writes to its own tables.
pub async fn copy_players(url: &str, from: &str) -> anyhow::Result<()> {
    let mut conn = PgConnection::connect(url).await?;
    sqlx::query(&format!("INSERT INTO players SELECT * FROM {from}.players")).execute(&mut conn).await?;
    sqlx::query(&format!("INSERT INTO player_stats SELECT * FROM {from}.player_stats")).execute(&mut conn).await?;
    sqlx::query("ANALYZE").execute(&mut conn).await?;
    conn.close().await?;
    Ok(())
}

/// The bytes of every table and index of schema `name`.
pub async fn size(url: &str, name: &str) -> anyhow::Result<u64> {
    let pool = pool(url).await?;
    let bytes: i64 = sqlx::query_scalar(
        "SELECT CAST(COALESCE(SUM(pg_total_relation_size(c.oid)), 0) AS BIGINT) FROM pg_class c \
         JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 AND c.relkind = 'r'",
    )
    .bind(name)
    .fetch_one(&pool)
    .await?;
    pool.close().await;
    Ok(bytes as u64)
}

/// Reads every all-time value the way the server's start-up does (one
/// streamed query), and returns the values of `stat` by player id (index 0 unused).
pub async fn read_all_values(url: &str, stat: &str) -> anyhow::Result<(Duration, u64, Vec<i64>)> {
    let mut conn = PgConnection::connect(url).await?;
    let started = Instant::now();
    let mut rows = 0u64;
    let mut values = Vec::new();
    let mut cursor =
        sqlx::query_as::<_, (String, i64, i64)>("SELECT stat, player_id, value FROM player_stats").fetch(&mut conn);
    while let Some((key, id, value)) = cursor.try_next().await? {
        rows += 1;
        if key == stat {
            let id = id as usize;
            if values.len() <= id {
                values.resize(id + 1, 0);
            }
            values[id] = value;
        }
    }
    drop(cursor);
    let elapsed = started.elapsed();
    conn.close().await?;
    Ok((elapsed, rows, values))
}

/// The award rows, written straight: per transaction of `per_tx` random
/// awards, one upsert of the all-time values (its RETURNING gives each
/// award's `value_after`), one of the running calendar periods' values and
/// one ledger insert — the rows the server's writer writes, set-based as it
/// does, over one connection, in the server's default `synchronous_commit`.
pub async fn direct_awards(
    url: &str,
    audience: &Audience,
    awards: u64,
    per_tx: u64,
    rng: &mut SmallRng,
) -> anyhow::Result<(Duration, Credit)> {
    let mut conn = PgConnection::connect(url).await?;
    let now = unix_now();
    let periods: Vec<(&str, i64)> = playerbase::domain::periods::current(now, None)
        .into_iter()
        .filter(|p| p.period != playerbase::domain::Period::All)
        .map(|p| (p.period.as_str(), p.starts_at))
        .collect();
    let mut credit = Credit::default();
    let started = Instant::now();
    let mut done = 0;
    while done < awards {
        let group: Vec<(i64, usize, i64)> = (0..per_tx.min(awards - done))
            .map(|_| (audience.pick(rng), rng.gen_range(0..STATS.len()), rng.gen_range(1..=10i64)))
            .collect();
        let mut sums: HashMap<(i64, usize), i64> = HashMap::new();
        for &(player, stat, amount) in &group {
            *sums.entry((player, stat)).or_default() += amount;
            credit.awards += 1;
            credit.per_stat[stat] += amount;
        }
        let pairs: Vec<(i64, usize, i64)> = sums.into_iter().map(|((p, s), a)| (p, s, a)).collect();
        let ids: Vec<i64> = pairs.iter().map(|p| p.0).collect();
        let stats: Vec<&str> = pairs.iter().map(|p| STATS[p.1]).collect();
        let amounts: Vec<i64> = pairs.iter().map(|p| p.2).collect();

        let mut tx = conn.begin().await?;
        let after: Vec<(i64, String, i64)> = sqlx::query_as(
            "INSERT INTO player_stats (player_id, stat, value) \
             SELECT * FROM UNNEST($1::BIGINT[], $2::TEXT[], $3::BIGINT[]) \
             ON CONFLICT (player_id, stat) DO UPDATE SET value = player_stats.value + excluded.value \
             RETURNING player_id, stat, value",
        )
        .bind(&ids)
        .bind(&stats)
        .bind(&amounts)
        .fetch_all(&mut *tx)
        .await?;
        let (mut kinds, mut starts, mut p_ids, mut p_stats, mut p_amounts) =
            (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
        for (kind, starts_at) in &periods {
            for (n, _) in pairs.iter().enumerate() {
                kinds.push(*kind);
                starts.push(*starts_at);
                p_ids.push(ids[n]);
                p_stats.push(stats[n]);
                p_amounts.push(amounts[n]);
            }
        }
        sqlx::query(
            "INSERT INTO period_stats (kind, starts_at, player_id, stat, value) \
             SELECT * FROM UNNEST($1::TEXT[], $2::BIGINT[], $3::BIGINT[], $4::TEXT[], $5::BIGINT[]) \
             ON CONFLICT (kind, starts_at, player_id, stat) DO UPDATE SET value = period_stats.value + excluded.value",
        )
        .bind(&kinds)
        .bind(&starts)
        .bind(&p_ids)
        .bind(&p_stats)
        .bind(&p_amounts)
        .execute(&mut *tx)
        .await?;
        // Each award's value after it: the pair's final value less the awards that came later.
        let mut running: HashMap<(i64, &str), i64> =
            after.iter().map(|(player, stat, value)| ((*player, stat.as_str()), *value)).collect();
        let mut value_after = vec![0i64; group.len()];
        for (n, &(player, stat, amount)) in group.iter().enumerate().rev() {
            let value = running.get_mut(&(player, STATS[stat])).expect("every pair was upserted");
            value_after[n] = *value;
            *value -= amount;
        }
        let l_ids: Vec<i64> = group.iter().map(|g| g.0).collect();
        let l_stats: Vec<&str> = group.iter().map(|g| STATS[g.1]).collect();
        let l_amounts: Vec<i64> = group.iter().map(|g| g.2).collect();
        sqlx::query(
            "INSERT INTO ledger (player_id, stat, amount, value_after, source, reason, at) \
             SELECT p, s, a, v, 'api:direct', NULL, $5 FROM UNNEST($1::BIGINT[], $2::TEXT[], $3::BIGINT[], $4::BIGINT[]) AS t(p, s, a, v)",
        )
        .bind(&l_ids)
        .bind(&l_stats)
        .bind(&l_amounts)
        .bind(&value_after)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        done += group.len() as u64;
    }
    let elapsed = started.elapsed();
    conn.close().await?;
    Ok((elapsed, credit))
}

pub async fn totals(url: &str) -> anyhow::Result<Totals> {
    let pool = pool(url).await?;
    let per_stat = |sql: &'static str| {
        let pool = pool.clone();
        async move {
            let mut out = [0; STATS.len()];
            let rows: Vec<(String, i64)> = sqlx::query_as(sql).fetch_all(&pool).await?;
            for (stat, sum) in rows {
                if let Some(i) = STATS.iter().position(|s| *s == stat) {
                    out[i] = sum;
                }
            }
            anyhow::Ok(out)
        }
    };
    let totals = Totals {
        all_time: per_stat("SELECT stat, CAST(SUM(value) AS BIGINT) FROM player_stats GROUP BY stat").await?,
        day: per_stat("SELECT stat, CAST(SUM(value) AS BIGINT) FROM period_stats WHERE kind = 'day' GROUP BY stat")
            .await?,
        week: per_stat("SELECT stat, CAST(SUM(value) AS BIGINT) FROM period_stats WHERE kind = 'week' GROUP BY stat")
            .await?,
        month: per_stat("SELECT stat, CAST(SUM(value) AS BIGINT) FROM period_stats WHERE kind = 'month' GROUP BY stat")
            .await?,
        ledger_rows: sqlx::query_scalar("SELECT COUNT(*) FROM ledger").fetch_one(&pool).await?,
        ledger_amounts: per_stat("SELECT stat, CAST(SUM(amount) AS BIGINT) FROM ledger GROUP BY stat").await?,
    };
    pool.close().await;
    Ok(totals)
}
