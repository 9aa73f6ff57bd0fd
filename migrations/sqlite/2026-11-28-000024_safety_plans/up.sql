-- Safety plans: every version kept, never changed. The sections are JSON.
CREATE TABLE safety_plans (
    client_id TEXT NOT NULL REFERENCES clients (id),
    version INTEGER NOT NULL CHECK (version >= 1),
    sections TEXT NOT NULL,
    written_by TEXT NOT NULL REFERENCES users (id),
    written_at TIMESTAMP NOT NULL,
    PRIMARY KEY (client_id, version)
);
