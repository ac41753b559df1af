-- The award ledger: every applied award, with where it came from.
CREATE TABLE ledger (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    -- NULL once the player is deleted: the amounts stay, the person goes.
    player_id   INTEGER REFERENCES players (id) ON DELETE SET NULL,
    stat        TEXT    NOT NULL,
    amount      INTEGER NOT NULL,
    value_after INTEGER NOT NULL,
    source      TEXT    NOT NULL,             -- api:KEYNAME, twitch:EVENT_TYPE, import, admin
    reason      TEXT,
    at          INTEGER NOT NULL              -- unix seconds
);
CREATE INDEX ledger_by_player ON ledger (player_id, id);

-- Values of the running periods (day, week, month, stream); all-time values are in player_stats.
CREATE TABLE period_stats (
    kind      TEXT    NOT NULL,
    starts_at INTEGER NOT NULL,
    player_id INTEGER NOT NULL REFERENCES players (id) ON DELETE CASCADE,
    stat      TEXT    NOT NULL,
    value     INTEGER NOT NULL,
    PRIMARY KEY (kind, starts_at, player_id, stat)
) WITHOUT ROWID;
CREATE INDEX period_stats_by_player ON period_stats (player_id);

-- The first answer to each Idempotency-Key, per API key.
CREATE TABLE idempotency_keys (
    owner        INTEGER NOT NULL,            -- the API key's id
    key          TEXT    NOT NULL,
    request_hash BLOB    NOT NULL,
    status       INTEGER NOT NULL,
    body         TEXT    NOT NULL,
    created_at   INTEGER NOT NULL,
    PRIMARY KEY (owner, key)
) WITHOUT ROWID;
CREATE INDEX idempotency_keys_by_age ON idempotency_keys (created_at);
