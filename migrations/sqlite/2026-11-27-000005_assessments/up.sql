-- Assessment instruments are data: each row is one version of an
-- instrument, never changed once written; a change is a new version.
CREATE TABLE instruments (
    id TEXT PRIMARY KEY NOT NULL,
    code TEXT NOT NULL,
    version INTEGER NOT NULL,
    name TEXT NOT NULL,
    description TEXT,
    -- The domains and their scales (JSON), as the API serves them.
    domains TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    UNIQUE (code, version)
);

CREATE TABLE assessments (
    id TEXT PRIMARY KEY NOT NULL,
    client_id TEXT NOT NULL REFERENCES clients (id),
    instrument_id TEXT NOT NULL REFERENCES instruments (id),
    assessor_id TEXT NOT NULL REFERENCES users (id),
    assessed_on DATE NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('intake', 'periodic', 'discharge')),
    status TEXT NOT NULL CHECK (status IN ('draft', 'final')),
    -- Per domain: score or not applicable, and a note (JSON).
    scores TEXT NOT NULL,
    overall_note TEXT,
    amends_id TEXT REFERENCES assessments (id),
    finalized_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    version INTEGER NOT NULL
);
CREATE INDEX assessments_client ON assessments (client_id, created_at, id);
