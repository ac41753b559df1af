//! What the EventSub receiver, its worker and the stream period need of a store.

/// A notification as received, stored before it is answered.
#[derive(Debug, Clone)]
pub struct NewEventSubMessage {
    pub message_id: String,
    pub subscription_type: String,
    pub body: String,
    /// Twitch's message timestamp, unix seconds.
    pub sent_at: i64,
    pub received_at: i64,
}

/// A stored notification not applied yet.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PendingMessage {
    pub id: i64,
    pub message_id: String,
    pub subscription_type: String,
    pub body: String,
    pub sent_at: i64,
}

#[derive(Debug, Clone)]
pub struct Revocation {
    pub subscription_id: String,
    pub subscription_type: String,
    pub status: String,
    pub at: i64,
}

/// The configured broadcaster's last stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq, sqlx::FromRow)]
pub struct Stream {
    pub started_at: i64,
    pub ended_at: Option<i64>,
}

impl Stream {
    /// Where awards go now: the stream's period while it is live.
    pub fn live_since(stream: Option<Stream>) -> Option<i64> {
        stream.filter(|s| s.ended_at.is_none()).map(|s| s.started_at)
    }

    /// What the `stream` board shows: the last stream, live or ended.
    pub fn last_start(stream: Option<Stream>) -> Option<i64> {
        stream.map(|s| s.started_at)
    }
}

/// A player found by Twitch user id, as the viewer bookkeeping needs it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ViewerRow {
    pub twitch_user_id: String,
    pub id: i64,
    pub username: String,
    pub twitch_login: Option<String>,
    /// 1 when the username came from the Twitch login (and follows renames).
    pub username_from_twitch: i64,
}

/// A player to create for a viewer.
#[derive(Debug, Clone)]
pub struct NewViewer {
    pub username: String,
    pub username_key: String,
    pub twitch_user_id: String,
    pub twitch_login: String,
    pub created_at: i64,
}

/// A viewer's new login, and the new username when it follows.
#[derive(Debug, Clone)]
pub struct ViewerRename {
    pub player_id: i64,
    pub twitch_login: String,
    pub username: Option<(String, String)>,
}
