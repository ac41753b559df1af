-- An award used to write seven b-trees besides the ledger's end: the
-- player_stats row, a row per running period (day, week, month, stream) in
-- period_stats and in its index by player, and ledger_by_player. At a
-- million players each is a page of its own, and SQLite writes whole pages:
-- about 5,000 awards a second. Now an award writes one player_stats row,
-- which carries the running periods' values too, and appends a ledger row
-- that points at the same player's previous one. See BENCHMARKS.md.

-- The running periods' values, beside the all-time value. A period's pair
-- counts only while its start is the running period's start: a new day
-- needs no cleanup, the first award of the day replaces the pair.
ALTER TABLE player_stats ADD COLUMN day_start INTEGER;
ALTER TABLE player_stats ADD COLUMN day_value INTEGER;
ALTER TABLE player_stats ADD COLUMN week_start INTEGER;
ALTER TABLE player_stats ADD COLUMN week_value INTEGER;
ALTER TABLE player_stats ADD COLUMN month_start INTEGER;
ALTER TABLE player_stats ADD COLUMN month_value INTEGER;
ALTER TABLE player_stats ADD COLUMN stream_start INTEGER;
ALTER TABLE player_stats ADD COLUMN stream_value INTEGER;
-- The newest ledger row of this player and stat; the player's newest row is
-- the largest of its stats'.
ALTER TABLE player_stats ADD COLUMN last_ledger_id INTEGER;

UPDATE player_stats SET
    day_start = (SELECT MAX(starts_at) FROM period_stats p
                 WHERE p.kind = 'day' AND p.player_id = player_stats.player_id AND p.stat = player_stats.stat),
    week_start = (SELECT MAX(starts_at) FROM period_stats p
                  WHERE p.kind = 'week' AND p.player_id = player_stats.player_id AND p.stat = player_stats.stat),
    month_start = (SELECT MAX(starts_at) FROM period_stats p
                   WHERE p.kind = 'month' AND p.player_id = player_stats.player_id AND p.stat = player_stats.stat),
    stream_start = (SELECT MAX(starts_at) FROM period_stats p
                    WHERE p.kind = 'stream' AND p.player_id = player_stats.player_id AND p.stat = player_stats.stat),
    last_ledger_id = (SELECT MAX(id) FROM ledger l
                      WHERE l.player_id = player_stats.player_id AND l.stat = player_stats.stat);
UPDATE player_stats SET
    day_value = (SELECT value FROM period_stats p WHERE p.kind = 'day' AND p.starts_at = player_stats.day_start
                 AND p.player_id = player_stats.player_id AND p.stat = player_stats.stat),
    week_value = (SELECT value FROM period_stats p WHERE p.kind = 'week' AND p.starts_at = player_stats.week_start
                  AND p.player_id = player_stats.player_id AND p.stat = player_stats.stat),
    month_value = (SELECT value FROM period_stats p WHERE p.kind = 'month' AND p.starts_at = player_stats.month_start
                   AND p.player_id = player_stats.player_id AND p.stat = player_stats.stat),
    stream_value = (SELECT value FROM period_stats p WHERE p.kind = 'stream' AND p.starts_at = player_stats.stream_start
                    AND p.player_id = player_stats.player_id AND p.stat = player_stats.stat);

DROP TABLE period_stats;

-- Read-only, in period_stats' old shape: for `migrate-database` (PostgreSQL
-- keeps the table) and for anyone who queried it.
CREATE VIEW period_stats (kind, starts_at, player_id, stat, value) AS
          SELECT 'day', day_start, player_id, stat, day_value FROM player_stats WHERE day_start IS NOT NULL
UNION ALL SELECT 'week', week_start, player_id, stat, week_value FROM player_stats WHERE week_start IS NOT NULL
UNION ALL SELECT 'month', month_start, player_id, stat, month_value FROM player_stats WHERE month_start IS NOT NULL
UNION ALL SELECT 'stream', stream_start, player_id, stat, stream_value FROM player_stats WHERE stream_start IS NOT NULL;

-- The ledger without its index by player (a random page per award) and
-- without the foreign key whose ON DELETE SET NULL needed that index: a
-- player's rows are a chain from its newest through prev_id, which a
-- player's page and the player's deletion follow.
CREATE TABLE ledger_chained (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    -- NULL once the player is deleted: the amounts stay, the person goes.
    player_id         INTEGER,
    stat              TEXT    NOT NULL,
    amount            INTEGER NOT NULL,
    value_after       INTEGER NOT NULL,
    source            TEXT    NOT NULL,             -- api:KEYNAME, twitch:EVENT_TYPE, import, admin
    reason            TEXT,
    at                INTEGER NOT NULL,             -- unix seconds
    twitch_message_id TEXT,
    -- The same player's previous row, any stat; NULL for its first.
    prev_id           INTEGER
);
INSERT INTO ledger_chained (id, player_id, stat, amount, value_after, source, reason, at, twitch_message_id, prev_id)
SELECT id, player_id, stat, amount, value_after, source, reason, at, twitch_message_id,
       CASE WHEN player_id IS NULL THEN NULL ELSE LAG(id) OVER (PARTITION BY player_id ORDER BY id) END
FROM ledger ORDER BY id;
-- Ids are never handed out twice, even those of rows no longer there.
UPDATE sqlite_sequence SET seq = MAX(COALESCE(seq, 0), COALESCE((SELECT seq FROM sqlite_sequence WHERE name = 'ledger'), 0))
WHERE name = 'ledger_chained';
INSERT INTO sqlite_sequence (name, seq)
SELECT 'ledger_chained', seq FROM sqlite_sequence
WHERE name = 'ledger' AND NOT EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = 'ledger_chained');
DROP TABLE ledger;
ALTER TABLE ledger_chained RENAME TO ledger;
