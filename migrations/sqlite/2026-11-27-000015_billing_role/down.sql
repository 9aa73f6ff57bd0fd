-- Back to four roles; billing users must be removed or given another role first.
PRAGMA foreign_keys = OFF;
BEGIN;
DROP TABLE IF EXISTS users_rebuilt;
CREATE TABLE users_rebuilt (
    id TEXT PRIMARY KEY NOT NULL,
    email TEXT NOT NULL UNIQUE,
    display_name TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('admin', 'supervisor', 'case_manager', 'care_team_member')),
    team_id TEXT REFERENCES teams (id),
    password_hash TEXT NOT NULL,
    deleted_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    version INTEGER NOT NULL,
    token_version INTEGER NOT NULL DEFAULT 1
);
INSERT INTO users_rebuilt (id, email, display_name, role, team_id, password_hash, deleted_at,
                           created_at, updated_at, version, token_version)
    SELECT id, email, display_name, role, team_id, password_hash, deleted_at,
           created_at, updated_at, version, token_version FROM users;
DROP TABLE users;
ALTER TABLE users_rebuilt RENAME TO users;
CREATE INDEX users_team ON users (team_id, created_at, id);
CREATE INDEX users_page ON users (created_at, id);
COMMIT;
PRAGMA foreign_keys = ON;
