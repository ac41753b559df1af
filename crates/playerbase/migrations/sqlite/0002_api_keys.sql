-- API keys for game servers and bots. Only the SHA-256 of a key is kept.
CREATE TABLE api_keys (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    name       TEXT    NOT NULL,
    hash       BLOB    NOT NULL UNIQUE,
    scopes     TEXT    NOT NULL,              -- space-separated
    created_at INTEGER NOT NULL,
    revoked_at INTEGER
);
-- A name is reused only after its key is revoked; the ledger keeps naming the old one.
CREATE UNIQUE INDEX api_keys_live_name ON api_keys (name) WHERE revoked_at IS NULL;
