-- A login started in a browser (/auth/twitch) is bound to that browser: the SHA-256 of
-- a random value kept in a short-lived cookie there. The callback finishes the login
-- only in the browser holding it, so nobody can make another browser finish a login
-- they started (login CSRF). Logins games start (/api/v1/auth/twitch) have none; PKCE
-- does that job for them.
ALTER TABLE twitch_logins ADD COLUMN browser BLOB;
