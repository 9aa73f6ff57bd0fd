-- Transfers of clients between teams and case managers, and the history of
-- who held each client.

CREATE TABLE transfers (
    id TEXT PRIMARY KEY NOT NULL,
    client_id TEXT NOT NULL REFERENCES clients (id),
    from_team_id TEXT NOT NULL REFERENCES teams (id),
    from_case_manager_id TEXT REFERENCES users (id),
    to_team_id TEXT NOT NULL REFERENCES teams (id),
    to_case_manager_id TEXT REFERENCES users (id),
    summary TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('requested', 'accepted', 'declined', 'cancelled')),
    requested_by TEXT NOT NULL REFERENCES users (id),
    decided_by TEXT REFERENCES users (id),
    decided_at TIMESTAMP,
    note TEXT,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    version INTEGER NOT NULL
);
CREATE INDEX transfers_client ON transfers (client_id, created_at, id);
CREATE INDEX transfers_to_team ON transfers (to_team_id, status, created_at, id);
CREATE INDEX transfers_from_team ON transfers (from_team_id, status, created_at, id);
-- A client waits on at most one transfer at a time.
CREATE UNIQUE INDEX transfers_one_open ON transfers (client_id) WHERE status = 'requested';

-- Who held each client: a row per assignment, the current one open.
CREATE TABLE client_assignments (
    id TEXT PRIMARY KEY NOT NULL,
    client_id TEXT NOT NULL REFERENCES clients (id),
    team_id TEXT NOT NULL REFERENCES teams (id),
    case_manager_id TEXT REFERENCES users (id),
    from_at TIMESTAMP NOT NULL,
    until_at TIMESTAMP,
    reason TEXT NOT NULL CHECK (reason IN ('created', 'assigned', 'transfer')),
    -- null for the assignments recorded here from before the history was kept
    by_user TEXT REFERENCES users (id)
);
CREATE INDEX client_assignments_client ON client_assignments (client_id, from_at, id);
CREATE UNIQUE INDEX client_assignments_one_current ON client_assignments (client_id)
    WHERE until_at IS NULL;

-- Each client's current assignment, from the day it was created (the id is
-- the client's).
INSERT INTO client_assignments (id, client_id, team_id, case_manager_id, from_at, reason)
SELECT id, id, team_id, primary_case_manager_id, created_at, 'created' FROM clients;
