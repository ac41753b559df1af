//! `playerbase twitch subscribe` against the fake Twitch server, through
//! the library function and through the real binary.

use std::process::Command;

use playerbase::Config;
use playerbase::commands::twitch_subscribe;
use playerbase::config::{RuleSpec, Secret};
use serde_json::json;

use crate::support::fake_twitch::{BROADCASTER_ID, EVENTSUB_SECRET, FakeTwitch};

const CALLBACK: &str = "https://game.example/api/v1/twitch/eventsub";

fn rule(event: &str) -> RuleSpec {
    RuleSpec { event: event.into(), stat: "meleeAtkXp".into(), amount: Some(5), ..RuleSpec::default() }
}

fn config(fake: &FakeTwitch) -> Config {
    let mut config = Config { public_url: "https://game.example/".into(), ..Config::default() };
    config.twitch = fake.config();
    config.twitch.rules =
        vec![rule("channel.follow"), rule("channel.raid"), rule("channel.cheer"), rule("channel.follow")];
    config.twitch.chat.bot_user_id = "12826".into();
    config
}

#[tokio::test]
async fn twitch_subscribe_creates_what_the_rules_and_chat_commands_need() {
    let fake = FakeTwitch::start().await;
    let mut out = Vec::new();
    let report = twitch_subscribe::run(&config(&fake), &mut out).await.unwrap();
    let out = String::from_utf8(out).unwrap();
    let expected =
        ["stream.online", "stream.offline", "channel.follow", "channel.raid", "channel.cheer", "channel.chat.message"];
    assert_eq!(report.created, expected, "{out}");
    let b = BROADCASTER_ID;
    let conditions = [
        ("stream.online", "1", json!({"broadcaster_user_id": b})),
        ("stream.offline", "1", json!({"broadcaster_user_id": b})),
        ("channel.follow", "2", json!({"broadcaster_user_id": b, "moderator_user_id": b})),
        ("channel.raid", "1", json!({"to_broadcaster_user_id": b})),
        ("channel.cheer", "1", json!({"broadcaster_user_id": b})),
        ("channel.chat.message", "1", json!({"broadcaster_user_id": b, "user_id": "12826"})),
    ];
    let held = fake.subscriptions();
    assert_eq!(held.len(), conditions.len());
    for (sub, (kind, version, condition)) in held.iter().zip(conditions) {
        assert_eq!((&sub["type"], &sub["version"], &sub["condition"]), (&json!(kind), &json!(version), &condition));
        assert_eq!(sub["transport"], json!({"method": "webhook", "callback": CALLBACK, "secret": EVENTSUB_SECRET}));
    }
    assert!(out.contains("created  channel.follow v2"), "{out}");
    assert_eq!(fake.app_tokens_issued(), 1, "one app token for all of them");
}

#[tokio::test]
async fn twitch_subscribe_reports_existing_subscriptions_as_such() {
    let fake = FakeTwitch::start().await;
    let config = config(&fake);
    twitch_subscribe::run(&config, &mut Vec::new()).await.unwrap();
    let mut out = Vec::new();
    let report = twitch_subscribe::run(&config, &mut out).await.unwrap();
    assert!(report.created.is_empty());
    assert_eq!(report.existing.len(), 6);
    assert!(String::from_utf8(out).unwrap().contains("exists   stream.online v1"));
}

#[tokio::test]
async fn twitch_subscribe_names_what_is_missing() {
    let fake = FakeTwitch::start().await;
    let mut config = config(&fake);
    config.twitch.eventsub_secret = Secret::default();
    config.twitch.broadcaster_user_id = String::new();
    let err = twitch_subscribe::run(&config, &mut Vec::new()).await.unwrap_err().to_string();
    assert!(err.contains("twitch.eventsub_secret") && err.contains("twitch.broadcaster_user_id"), "{err}");
    assert!(!err.contains("twitch.client_id"), "{err}");
    config.twitch.eventsub_secret = Secret::new("short");
    config.twitch.broadcaster_user_id = BROADCASTER_ID.into();
    let err = twitch_subscribe::run(&config, &mut Vec::new()).await.unwrap_err().to_string();
    assert!(err.contains("10-100"), "{err}");
    config.twitch.eventsub_secret = Secret::new(EVENTSUB_SECRET);
    config.twitch.client_secret = Secret::new("wrong-secret");
    let err = format!("{:#}", twitch_subscribe::run(&config, &mut Vec::new()).await.unwrap_err());
    assert!(err.contains("app access token") && err.contains("403"), "{err}");
    assert!(err.contains("check twitch.client_id and client_secret"), "{err}");
    assert!(!err.contains("wrong-secret"), "{err}");
    assert!(fake.subscriptions().is_empty());

    // Twitch out of reach is not a wrong secret.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    config.twitch.oauth_url = format!("http://{}", closed.local_addr().unwrap());
    drop(closed);
    let err = format!("{:#}", twitch_subscribe::run(&config, &mut Vec::new()).await.unwrap_err());
    assert!(err.contains("reachable from here") && !err.contains("check twitch.client_id"), "{err}");
}

#[tokio::test]
async fn twitch_subscribe_through_the_binary() {
    let fake = FakeTwitch::start().await;
    let dir = tempfile::tempdir().unwrap();
    let config_path = dir.path().join("playerbase.toml");
    let twitch = fake.config();
    let text = format!(
        "public_url = \"https://game.example\"\n[twitch]\nclient_id = \"{}\"\nclient_secret = \"{}\"\n\
         broadcaster_user_id = \"{}\"\noauth_url = \"{}\"\nhelix_url = \"{}\"\n\
         [[twitch.rules]]\nevent = \"channel.subscribe\"\nstat = \"meleeAtkXp\"\namount = 100\n",
        twitch.client_id,
        twitch.client_secret.expose(),
        twitch.broadcaster_user_id,
        twitch.oauth_url,
        twitch.helix_url
    );
    std::fs::write(&config_path, text).unwrap();
    let database = dir.path().join("playerbase.db");
    let run = |secret: Option<&'static str>| {
        let (config_path, database) = (config_path.clone(), database.clone());
        tokio::task::spawn_blocking(move || {
            let mut command = Command::new(env!("CARGO_BIN_EXE_playerbase"));
            command.args(["twitch", "subscribe", "--config"]).arg(&config_path).arg("--database").arg(&database);
            command.env_remove("PLAYERBASE_TWITCH__EVENTSUB_SECRET");
            if let Some(secret) = secret {
                command.env("PLAYERBASE_TWITCH__EVENTSUB_SECRET", secret);
            }
            command.output().unwrap()
        })
    };
    let refused = run(None).await.unwrap();
    assert!(!refused.status.success());
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(stderr.contains("twitch.eventsub_secret"), "{stderr}");

    let done = run(Some(EVENTSUB_SECRET)).await.unwrap();
    let (stdout, stderr) = (String::from_utf8_lossy(&done.stdout), String::from_utf8_lossy(&done.stderr));
    assert!(done.status.success(), "{stdout}\n{stderr}");
    assert!(stdout.contains("created  channel.subscribe v1"), "{stdout}");
    assert!(stderr.contains("3 subscription(s) created, 0 already there"), "{stderr}");
    let kinds: Vec<_> = fake.subscriptions().iter().map(|s| s["type"].as_str().unwrap().to_owned()).collect();
    assert_eq!(kinds, ["stream.online", "stream.offline", "channel.subscribe"]);

    let again = run(Some(EVENTSUB_SECRET)).await.unwrap();
    assert!(again.status.success(), "409 from Helix is no failure");
    assert!(String::from_utf8_lossy(&again.stderr).contains("0 subscription(s) created, 3 already there"));
}
