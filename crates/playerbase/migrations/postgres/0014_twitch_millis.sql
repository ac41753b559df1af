-- Chat cooldowns compared whole seconds: a message at 10.9 s and one at
-- 70.1 s were 60 s apart, and a 60 s cooldown let the second earn after
-- 59.2 s. Message times and cooldowns are now kept in milliseconds. A
-- cooldown started before this keeps its whole second, so the chatter's next
-- award may still come up to 999 ms early, once.
ALTER TABLE eventsub_messages RENAME COLUMN sent_at TO sent_at_ms;
UPDATE eventsub_messages SET sent_at_ms = sent_at_ms * 1000;
ALTER TABLE twitch_cooldowns RENAME COLUMN last_at TO last_at_ms;
UPDATE twitch_cooldowns SET last_at_ms = last_at_ms * 1000;
