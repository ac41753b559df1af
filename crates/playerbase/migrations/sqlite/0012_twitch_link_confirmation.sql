-- A link of a Twitch account is finished by the player who started it, not by
-- whoever opens the consent page: after consent, the callback keeps the Twitch
-- account under a one-time code (kind 'link') that only that player's client,
-- with its PKCE verifier if it sent a challenge, trades to make the link.
ALTER TABLE twitch_logins ADD COLUMN twitch_user_id TEXT;
ALTER TABLE twitch_logins ADD COLUMN twitch_login TEXT;
