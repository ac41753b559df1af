//! The bot's voice in production: Helix Send Chat Message through the
//! Twitch client, as `twitch.chat.bot_user_id`.

use async_trait::async_trait;

use super::ChatSender;
use crate::twitch::TwitchClient;

pub struct HelixChat {
    pub client: TwitchClient,
    pub bot_user_id: String,
}

#[async_trait]
impl ChatSender for HelixChat {
    async fn send(&self, broadcaster_user_id: &str, text: &str) -> anyhow::Result<()> {
        self.client.send_chat_message(broadcaster_user_id, &self.bot_user_id, text).await?;
        Ok(())
    }
}
