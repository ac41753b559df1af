-- Twitch EventSub: messages as received (stored before they are answered,
-- applied afterwards), revocations, streams, chat cooldowns.

-- A Twitch message id is handled once: a resend is acknowledged and not
-- applied again. The body is dropped once applied (it names viewers); the
-- id stays a day for deduplication.
CREATE TABLE eventsub_messages (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,   -- the order messages were received in
    message_id        TEXT    NOT NULL UNIQUE,
    subscription_type TEXT    NOT NULL,
    body              TEXT,                                -- NULL once applied
    sent_at           INTEGER NOT NULL,                    -- Twitch's message timestamp, unix seconds
    received_at       INTEGER NOT NULL,
    applied_at        INTEGER
);
CREATE INDEX eventsub_messages_pending ON eventsub_messages (id) WHERE applied_at IS NULL;
CREATE INDEX eventsub_messages_by_age ON eventsub_messages (received_at);

-- Subscriptions Twitch ended, and why (authorization_revoked, user_removed, …).
CREATE TABLE eventsub_revocations (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    subscription_id   TEXT    NOT NULL,
    subscription_type TEXT    NOT NULL,
    status            TEXT    NOT NULL,
    at                INTEGER NOT NULL
);

-- The configured broadcaster's streams: the `stream` leaderboard period
-- runs from the last one's start.
CREATE TABLE twitch_streams (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    stream_id  TEXT    NOT NULL,                           -- Twitch's id of the stream
    started_at INTEGER NOT NULL,
    ended_at   INTEGER
);

-- The last time each chatter earned from each cooldown rule; read and
-- written in the award writer's transaction, so it holds across instances.
CREATE TABLE twitch_cooldowns (
    twitch_user_id TEXT    NOT NULL,
    rule           TEXT    NOT NULL,
    last_at        INTEGER NOT NULL,
    PRIMARY KEY (twitch_user_id, rule)
) WITHOUT ROWID;

-- Which Twitch message an award came from.
ALTER TABLE ledger ADD COLUMN twitch_message_id TEXT;
-- 1 when the username was taken from the Twitch login: it then follows renames.
ALTER TABLE players ADD COLUMN username_from_twitch INTEGER NOT NULL DEFAULT 0;
