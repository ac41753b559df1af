-- "Log in with Twitch" under way. Each row is a one-time secret, kept as its SHA-256:
--   kind 'state': the `state` of an authorize URL, until Twitch sends the browser back;
--   kind 'code':  the code a game trades for its tokens at /api/v1/auth/twitch/exchange.
-- In the database rather than in memory, so that any of several instances can finish a
-- login another one started, and each secret is taken exactly once.
CREATE TABLE twitch_logins (
    hash           BYTEA   PRIMARY KEY,
    kind           TEXT    NOT NULL,
    -- state: the player linking a Twitch account (NULL: logging in); code: the player logged in.
    player_id      BIGINT  REFERENCES players (id) ON DELETE CASCADE,
    -- state: where the browser goes afterwards (NULL: the callback answers itself).
    redirect       TEXT,
    -- PKCE (S256) of the game that started it: the code is only traded with the verifier.
    code_challenge TEXT,
    expires_at     BIGINT  NOT NULL           -- unix seconds
);
CREATE INDEX twitch_logins_by_expiry ON twitch_logins (expires_at);
