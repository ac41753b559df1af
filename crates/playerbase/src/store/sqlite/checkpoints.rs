//! WAL checkpoints off the writer's path. By default the connection that
//! commits copies the WAL back into the database file once it passes 1,000
//! pages, and waits for two `fsync`s while it does: under a stream of award
//! batches that was a third of the writer's time. The writer does not
//! checkpoint here; a connection of its own does, on SQLite's worker thread
//! of that connection, so the copy runs beside the writer's next group.

use std::time::Duration;

use sqlx::sqlite::{SqliteConnectOptions, SqlitePool, SqlitePoolOptions};
use sqlx::{Row, SqliteConnection};
use tokio::task::JoinHandle;

/// How often the WAL is copied back. With nothing new in it, a checkpoint
/// only reads the WAL index.
const EVERY: Duration = Duration::from_millis(100);

/// WAL frames (pages) from which a checkpoint also waits for the writer to
/// finish its transaction, so that the next one writes the WAL from its
/// start: a writer that never pauses would otherwise grow it without end.
/// 16,384 frames are 64 MiB at SQLite's 4 KiB pages.
pub const RESTART_AT_FRAMES: i64 = 16_384;

pub struct Checkpointer {
    pool: SqlitePool,
    task: JoinHandle<()>,
}

impl Checkpointer {
    pub async fn start(options: SqliteConnectOptions, restart_at_frames: i64) -> sqlx::Result<Self> {
        let pool = SqlitePoolOptions::new().max_connections(1).test_before_acquire(false).connect_with(options).await?;
        let task = tokio::spawn(run(pool.clone(), restart_at_frames));
        Ok(Self { pool, task })
    }

    pub async fn stop(&self) {
        self.task.abort();
        self.pool.close().await;
    }
}

impl Drop for Checkpointer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn run(pool: SqlitePool, restart_at_frames: i64) {
    let mut ticks = tokio::time::interval(EVERY);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        if let Err(err) = checkpoint_once(&pool, restart_at_frames).await {
            tracing::warn!(error = %err, "WAL checkpoint failed; trying again shortly");
        }
    }
}

async fn checkpoint_once(pool: &SqlitePool, restart_at_frames: i64) -> sqlx::Result<()> {
    let mut conn = pool.acquire().await?;
    let frames = checkpoint(&mut conn, "PASSIVE").await?;
    if frames >= restart_at_frames {
        checkpoint(&mut conn, "RESTART").await?;
    }
    Ok(())
}

/// Runs a checkpoint in `mode`; returns the frames in the WAL.
async fn checkpoint(conn: &mut SqliteConnection, mode: &str) -> sqlx::Result<i64> {
    let row = sqlx::query(&format!("PRAGMA wal_checkpoint({mode})")).fetch_one(conn).await?;
    row.try_get(1)
}
