-- What each instance's award writer committed, for the other instances
-- sharing this database: their leaderboards and live events follow it.
-- Ids grow in commit order (writers hold one advisory lock). Kept an hour.
CREATE TABLE announcements (
    id   BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    body TEXT   NOT NULL,
    at   BIGINT NOT NULL
);
