-- The addresses (an IPv4 address, or an IPv6 /64) each player logged in
-- from in the last 30 days. Failed passwords from elsewhere do not hold
-- them back, so an attacker cannot lock the owner out; kept in the database,
-- that holds after a restart and on every instance. Deleted with the player.
CREATE TABLE known_addresses (
    player_id   INTEGER NOT NULL REFERENCES players (id) ON DELETE CASCADE,
    network     TEXT    NOT NULL,
    known_until INTEGER NOT NULL,             -- unix seconds
    PRIMARY KEY (player_id, network)
) WITHOUT ROWID;
CREATE INDEX known_addresses_by_expiry ON known_addresses (known_until);
