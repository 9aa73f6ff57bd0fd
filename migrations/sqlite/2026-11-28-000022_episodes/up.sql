-- Episodes of care: one enrollment of a client, from its start to the
-- discharge, with the reason and where the client went.

CREATE TABLE episodes (
    id TEXT PRIMARY KEY NOT NULL,
    client_id TEXT NOT NULL REFERENCES clients (id),
    program TEXT NOT NULL,
    referral_source TEXT,
    referral_source_name TEXT,
    eligibility_basis TEXT,
    started_on DATE NOT NULL,
    -- null while the client is enrolled
    ended_on DATE,
    discharge_reason TEXT CHECK (discharge_reason IN ('goals_met', 'moved_away',
        'declined_services', 'lost_contact', 'higher_level_of_care', 'incarcerated',
        'deceased', 'transferred')),
    destination TEXT,
    discharge_summary TEXT,
    discharged_by TEXT REFERENCES users (id),
    -- a discharge asked for that waits for a supervisor (JSON)
    closure_request TEXT,
    -- null for the episodes opened here for the clients already enrolled
    created_by TEXT REFERENCES users (id),
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    version INTEGER NOT NULL,
    CHECK (ended_on IS NULL OR ended_on >= started_on),
    CHECK (discharge_reason IS NULL OR ended_on IS NOT NULL)
);
CREATE INDEX episodes_client ON episodes (client_id, started_on, id);
-- A client is enrolled at most once at a time.
CREATE UNIQUE INDEX episodes_one_open ON episodes (client_id) WHERE ended_on IS NULL;

-- Every client already enrolled gets the episode it is in: from the day it
-- was created, closed (without a reason, none was kept) if discharged. Its
-- id is the client's.
INSERT INTO episodes (id, client_id, program, started_on, ended_on, created_at, updated_at, version)
SELECT id, id, 'Case management', date(created_at),
       CASE WHEN status = 'discharged' THEN date(updated_at) END,
       created_at, updated_at, 1
FROM clients;
