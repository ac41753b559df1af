-- A stream.offline of the broadcaster that ended no stream. Twitch delivers
-- in no promised order: its stream's online may still come, and then this
-- is that stream's end (not any other offline that happens to be later).
CREATE TABLE twitch_early_offlines (
    at BIGINT NOT NULL               -- the offline message's timestamp, unix seconds
);
