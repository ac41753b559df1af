//! Chat commands from `channel.chat.message`: `!join` is applied like any
//! event (the viewer becomes a player); `!stats` and `!rank STAT` are
//! answered in chat, after the message is applied, through a [`ChatSender`]
//! (Helix Send Chat Message), rate limited by [`limits::Limits`].

pub mod answers;
pub mod commands;
pub mod helix;
pub mod limits;

use std::sync::{Arc, Mutex};

use async_trait::async_trait;

use crate::domain::{StatCatalog, TwitchUserId};
use crate::leaderboards::Leaderboards;
use crate::state::Clock;
use crate::store::Store;
use crate::twitch::eventsub::translate::Question;

/// Says something in a channel's chat as the bot (`twitch.chat.bot_user_id`).
#[async_trait]
pub trait ChatSender: Send + Sync + 'static {
    async fn send(&self, broadcaster_user_id: &str, text: &str) -> anyhow::Result<()>;
}

/// Answers chat commands; built only when `twitch.chat.bot_user_id` is set
/// and there is a sender.
pub struct Answerer {
    pub sender: Arc<dyn ChatSender>,
    pub store: Arc<dyn Store>,
    pub catalog: StatCatalog,
    pub boards: Arc<Leaderboards>,
    pub clock: Clock,
    pub limits: Mutex<limits::Limits>,
    /// The command words, for the answers' hints.
    pub words: crate::config::ChatConfig,
}

impl Answerer {
    /// Answers `question` unless the limits say the bot has spoken enough.
    pub async fn answer(&self, question: &Question) {
        let allowed = self.limits.lock().expect("limits lock").allow(&question.chatter.id, self.clock.now());
        if !allowed {
            tracing::debug!(chatter = %question.chatter.id, "a chat command went unanswered: rate limited");
            return;
        }
        let player = match TwitchUserId::parse(&question.chatter.id) {
            Ok(id) => match self.store.player_by_twitch_id(&id).await {
                Ok(player) => player,
                Err(err) => {
                    tracing::warn!(error = %err, "could not read a chatter's player; the command goes unanswered");
                    return;
                }
            },
            Err(_) => None,
        };
        let text = answers::answer(question, player.as_ref(), &self.catalog, &self.boards, &self.words);
        if let Err(err) = self.sender.send(&question.broadcaster_user_id, &text).await {
            tracing::warn!(error = %err, "could not answer a chat command");
        }
    }
}
