-- Spoke foundation: staff, teams, organizations, clients, audit log and
-- idempotency records. Portable column types: ids are text UUIDv7,
-- timestamps are UTC, enums are checked text, JSON is text.

CREATE TABLE teams (
    id TEXT PRIMARY KEY NOT NULL,
    name TEXT NOT NULL UNIQUE,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    version INTEGER NOT NULL
);

CREATE TABLE users (
    id TEXT PRIMARY KEY NOT NULL,
    email TEXT NOT NULL UNIQUE,
    display_name TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('admin', 'supervisor', 'case_manager', 'care_team_member')),
    team_id TEXT REFERENCES teams (id),
    password_hash TEXT NOT NULL,
    deleted_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    version INTEGER NOT NULL
);
CREATE INDEX users_team ON users (team_id, created_at, id);
CREATE INDEX users_page ON users (created_at, id);

CREATE TABLE organizations (
    id TEXT PRIMARY KEY NOT NULL,
    name TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);

CREATE TABLE clients (
    id TEXT PRIMARY KEY NOT NULL,
    given_name TEXT NOT NULL,
    family_name TEXT NOT NULL,
    preferred_name TEXT,
    search_name TEXT NOT NULL,
    date_of_birth DATE,
    gender TEXT,
    preferred_language TEXT,
    phone TEXT,
    email TEXT,
    address TEXT,
    medicaid_id TEXT,
    external_ids TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('intake', 'active', 'on_hold', 'discharged')),
    risk_flags TEXT NOT NULL,
    primary_case_manager_id TEXT REFERENCES users (id),
    team_id TEXT NOT NULL REFERENCES teams (id),
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    version INTEGER NOT NULL
);
CREATE INDEX clients_page ON clients (created_at, id);
CREATE INDEX clients_team_page ON clients (team_id, created_at, id);
CREATE INDEX clients_case_manager ON clients (primary_case_manager_id);
CREATE INDEX clients_medicaid ON clients (medicaid_id);
CREATE INDEX clients_birth ON clients (date_of_birth);

CREATE TABLE audit_events (
    id TEXT PRIMARY KEY NOT NULL,
    occurred_at TIMESTAMP NOT NULL,
    actor_id TEXT NOT NULL,
    action TEXT NOT NULL,
    client_id TEXT NOT NULL,
    resource_type TEXT NOT NULL,
    resource_id TEXT NOT NULL,
    request_id TEXT NOT NULL
);
CREATE INDEX audit_page ON audit_events (occurred_at, id);
CREATE INDEX audit_client ON audit_events (client_id, occurred_at, id);
CREATE INDEX audit_actor ON audit_events (actor_id, occurred_at, id);

-- The audit log is append-only, enforced by the database itself.
CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events
BEGIN
    SELECT RAISE(ABORT, 'audit events are append-only');
END;
CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events
BEGIN
    SELECT RAISE(ABORT, 'audit events are append-only');
END;

-- The first response to a creating POST, replayed when the same
-- Idempotency-Key comes again from the same user.
CREATE TABLE idempotency_keys (
    user_id TEXT NOT NULL,
    idempotency_key TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    status_code INTEGER NOT NULL,
    response_body TEXT NOT NULL,
    location TEXT,
    etag TEXT,
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (user_id, idempotency_key)
);
