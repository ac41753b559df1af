//! Chat commands: `!join` makes a player with no award; `!stats` and
//! `!rank STAT` are answered in chat, rate limited, only with a bot.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use playerbase::twitch::chat::ChatSender;

use super::{BROADCASTER, chat, config, is_viewer, ledger, notify, settle, viewer};
use crate::support::TestApp;

/// What the bot said, instead of saying it on Twitch.
#[derive(Default)]
struct Said(Mutex<Vec<(String, String)>>);

#[async_trait]
impl ChatSender for Said {
    async fn send(&self, broadcaster_user_id: &str, text: &str) -> anyhow::Result<()> {
        self.0.lock().unwrap().push((broadcaster_user_id.to_owned(), text.to_owned()));
        Ok(())
    }
}

impl Said {
    /// The answers so far; they are sent off the worker, so give them a moment.
    async fn lines(&self, expected: usize) -> Vec<String> {
        for _ in 0..200 {
            if self.0.lock().unwrap().len() >= expected {
                break;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        // Anything beyond `expected` would have arrived by now too.
        tokio::time::sleep(Duration::from_millis(20)).await;
        self.0.lock().unwrap().iter().map(|(to, text)| format!("{to}: {text}")).collect()
    }
}

async fn with_bot() -> (TestApp, Arc<Said>) {
    let mut config = config();
    config.twitch.chat.bot_user_id = "999".into();
    let said = Arc::new(Said::default());
    (TestApp::with_chat(config, said.clone()).await, said)
}

#[tokio::test]
async fn join_makes_a_player_with_no_award() {
    let (t, said) = with_bot().await;
    notify(&t, "channel.chat.message", chat("1001", "joiner", "!join")).await;
    settle(&t).await;
    let player = viewer(&t, "1001").await;
    assert_eq!(player["username"], "joiner");
    assert_eq!(player["stats"]["speedXp"], 0, "no chat award for a command");
    assert!(ledger(&t, player["id"].as_i64().unwrap()).await.is_empty());
    assert!(said.lines(0).await.is_empty(), "joining is silent");
}

#[tokio::test]
async fn stats_and_rank_are_answered_in_chat() {
    let (t, said) = with_bot().await;
    for (id, login) in [("1011", "first"), ("1012", "second")] {
        notify(&t, "channel.chat.message", chat(id, login, "hello")).await;
    }
    notify(&t, "channel.cheer", super::by_viewer("1012", "second", serde_json::json!({"bits": 100}))).await;
    settle(&t).await;
    notify(&t, "channel.chat.message", chat("1012", "second", "!stats")).await;
    settle(&t).await;
    let lines = said.lines(1).await;
    assert_eq!(lines, [format!("{BROADCASTER}: @second Mage attack XP 200 (level 3, #1), Speed XP 1 (level 1, #1)")]);

    t.state.clock.advance(31);
    notify(&t, "channel.chat.message", chat("1012", "second", "!rank speedxp")).await;
    notify(&t, "channel.chat.message", chat("1013", "stranger", "!stats")).await;
    settle(&t).await;
    let lines = said.lines(3).await;
    assert_eq!(lines.len(), 3, "{lines:?}");
    // Answers are sent concurrently: their order is not promised.
    assert!(lines.contains(&format!("{BROADCASTER}: @second Speed XP 1 (level 1, #1) of 2")), "{lines:?}");
    assert!(
        lines.contains(&format!("{BROADCASTER}: @stranger you are not playing yet: type !join to join")),
        "{lines:?}"
    );
    assert!(!is_viewer(&t, "1013").await, "asking does not make a player");
}

#[tokio::test]
async fn the_bot_does_not_spam_and_ignores_itself() {
    let (t, said) = with_bot().await;
    notify(&t, "channel.chat.message", chat("1021", "asker", "hello")).await;
    for _ in 0..5 {
        notify(&t, "channel.chat.message", chat("1021", "asker", "!stats")).await;
    }
    notify(&t, "channel.chat.message", chat("999", "thebot", "!stats")).await;
    settle(&t).await;
    assert_eq!(said.lines(1).await.len(), 1, "once per chatter per 30 seconds");
    assert!(!is_viewer(&t, "999").await, "the bot's own messages are not viewers' messages");

    for n in 0..15 {
        notify(&t, "channel.chat.message", chat(&format!("11{n:02}"), &format!("crowd{n}"), "!stats")).await;
    }
    settle(&t).await;
    assert_eq!(said.lines(10).await.len(), 10, "at most 10 answers per 30 seconds in all");
}

#[tokio::test]
async fn without_a_bot_commands_are_not_answered_but_join_works() {
    let said = Arc::new(Said::default());
    let t = TestApp::with_chat(config(), said.clone()).await;
    notify(&t, "channel.chat.message", chat("1031", "quiet", "!join")).await;
    notify(&t, "channel.chat.message", chat("1031", "quiet", "!stats")).await;
    settle(&t).await;
    assert!(is_viewer(&t, "1031").await);
    assert!(said.lines(0).await.is_empty(), "twitch.chat.bot_user_id is not set");
}

#[tokio::test]
async fn answers_go_out_through_helix_send_chat_message() {
    let fake = crate::support::fake_twitch::FakeTwitch::start().await;
    let mut config = config();
    let twitch = fake.config();
    config.twitch.client_id = twitch.client_id;
    config.twitch.client_secret = twitch.client_secret;
    config.twitch.oauth_url = twitch.oauth_url;
    config.twitch.helix_url = twitch.helix_url;
    config.twitch.chat.bot_user_id = "999".into();
    let t = TestApp::with_config(config).await;
    notify(&t, "channel.chat.message", chat("1041", "helixfan", "hello")).await;
    notify(&t, "channel.chat.message", chat("1041", "helixfan", "!stats")).await;
    settle(&t).await;
    let mut posts = Vec::new();
    for _ in 0..400 {
        posts = fake.requests_to("/helix/chat/messages");
        if !posts.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    assert_eq!(posts.len(), 1, "one answer");
    assert_eq!(posts[0].body["broadcaster_id"], BROADCASTER);
    assert_eq!(posts[0].body["sender_id"], "999");
    assert_eq!(posts[0].body["message"], "@helixfan Speed XP 1 (level 1, #1)");
    assert!(posts[0].header("authorization").starts_with("Bearer "), "with the app access token");
}
