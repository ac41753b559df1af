-- v1 sessions: an access token and a refresh token per login; refreshing
-- spends the refresh token and adds a new pair to the same session.
-- A spent refresh token is kept (until it expires) so that presenting it
-- again is recognised as theft and ends the whole session.
ALTER TABLE tokens ADD COLUMN spent_at BIGINT;
