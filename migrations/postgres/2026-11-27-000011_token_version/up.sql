-- A user's sessions: every access token carries the number current when it
-- was issued, and a request with an older one is refused. Changing the
-- password, the role or the team, or deleting the user, raises it.
ALTER TABLE users ADD COLUMN token_version INTEGER NOT NULL DEFAULT 1;
