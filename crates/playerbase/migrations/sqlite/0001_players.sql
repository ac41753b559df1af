-- Players, their stat values, and their login sessions.

CREATE TABLE players (
    -- AUTOINCREMENT: the id of a deleted player is never handed out again.
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    username       TEXT    NOT NULL,
    username_key   TEXT    NOT NULL UNIQUE,   -- lower-cased: unique ignoring case
    email          TEXT,
    email_key      TEXT    UNIQUE,
    password_hash  TEXT,
    twitch_user_id TEXT    UNIQUE,
    twitch_login   TEXT,
    created_at     INTEGER NOT NULL           -- unix seconds
);

-- A stat is stored from its first award on. WITHOUT ROWID: one b-tree, and
-- a player's stats share a page, so an award writes fewer pages.
CREATE TABLE player_stats (
    player_id INTEGER NOT NULL REFERENCES players (id) ON DELETE CASCADE,
    stat      TEXT    NOT NULL,
    value     INTEGER NOT NULL,
    PRIMARY KEY (player_id, stat)
) WITHOUT ROWID;

-- One login: a /api/token/ token, or (later) an access/refresh pair.
CREATE TABLE sessions (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    player_id  INTEGER NOT NULL REFERENCES players (id) ON DELETE CASCADE,
    created_at INTEGER NOT NULL
);
CREATE INDEX sessions_by_player ON sessions (player_id);

-- Tokens are stored as SHA-256 of the token: a copy of the database logs no one in.
CREATE TABLE tokens (
    hash       BLOB    PRIMARY KEY,
    session_id INTEGER NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    kind       TEXT    NOT NULL,
    expires_at INTEGER NOT NULL
);
CREATE INDEX tokens_by_session ON tokens (session_id);
CREATE INDEX tokens_by_expiry ON tokens (expires_at);
