use axum::http::StatusCode;
use playerbase::Config;
use serde_json::json;

use crate::support::TestApp;

#[tokio::test]
async fn the_default_catalog_is_the_seeds_ten_stats_in_order() {
    let t = TestApp::new().await;
    let reply = t.get("/api/v1/stats/").await;
    assert_eq!(reply.status, StatusCode::OK);
    let stats = reply.body["stats"].as_array().unwrap();
    let keys: Vec<&str> = stats.iter().map(|stat| stat["key"].as_str().unwrap()).collect();
    assert_eq!(
        keys,
        [
            "meleeAtkXp",
            "mageAtkXp",
            "rangeAtkXp",
            "healthXp",
            "shieldXp",
            "evasionXp",
            "sizeXp",
            "blockXp",
            "ResistXp",
            "speedXp"
        ]
    );
    assert_eq!(
        stats[0],
        json!({"key": "meleeAtkXp", "label": "Melee attack XP", "op": "add", "min": 0, "max": null,
               "default": 0, "levels": "runescape"})
    );
    assert!(stats.iter().all(|stat| stat["op"] == "add" && stat["levels"] == "runescape"));
}

#[tokio::test]
async fn a_configured_catalog_is_shown_as_configured() {
    let stats = toml::from_str::<StatsFile>(
        r#"
        [[stats]]
        key = "wins"
        op = "max"
        max = 100
        levels = [0, 5, 20]
        [[stats]]
        key = "lapTime"
        label = "Best lap (ms)"
        op = "min"
        min = 1
        default = 600000
        "#,
    )
    .unwrap()
    .stats;
    let t = TestApp::with_config(Config { stats, ..Config::default() }).await;
    let reply = t.get("/api/v1/stats").await;
    assert_eq!(
        reply.body,
        json!({"stats": [
            {"key": "wins", "label": "wins", "op": "max", "min": null, "max": 100, "default": 0, "levels": [0, 5, 20]},
            {"key": "lapTime", "label": "Best lap (ms)", "op": "min", "min": 1, "max": null, "default": 600000,
             "levels": null},
        ]})
    );
}

#[derive(serde::Deserialize)]
struct StatsFile {
    stats: Vec<playerbase::domain::stats::StatSpec>,
}
