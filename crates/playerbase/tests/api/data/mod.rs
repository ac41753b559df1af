//! Data in and out: the Flask import, legacy passwords, backups, exports and deletion.

mod backup;
mod delete;
mod export;
mod import;
mod migrate;

use std::path::Path;

use playerbase::commands::import_flask::{self, Report};

use crate::support::TestApp;

/// The Flask API's database, as `tests/fixtures/make_flask_db.py` wrote it.
pub const FLASK_DB: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/flask_db.sqlite");

/// Runs `playerbase import-flask` on the fixture against the test's store; returns the report and what was printed.
pub async fn import(t: &TestApp, dry_run: bool) -> (Report, String) {
    let mut out = Vec::new();
    let flask = import_flask::read_flask(Path::new(FLASK_DB)).await.unwrap();
    let report = import_flask::run(&*t.state.store, &t.state.stats, &flask, dry_run, t.state.clock.now(), &mut out)
        .await
        .unwrap();
    (report, String::from_utf8(out).unwrap())
}

pub async fn count(t: &TestApp, table: &str) -> i64 {
    sqlx::query_scalar(&format!("SELECT COUNT(*) FROM {table}")).fetch_one(&t.db().await).await.unwrap()
}

pub async fn stored_hash(t: &TestApp, id: i64) -> Option<String> {
    sqlx::query_scalar("SELECT password_hash FROM players WHERE id = $1")
        .bind(id)
        .fetch_one(&t.db().await)
        .await
        .unwrap()
}
