-- Benefits applications and their history. Lists are JSON text.

CREATE TABLE benefit_applications (
    id TEXT PRIMARY KEY NOT NULL,
    client_id TEXT NOT NULL REFERENCES clients (id),
    program TEXT NOT NULL,
    program_name TEXT,
    organization_id TEXT REFERENCES organizations (id),
    case_number TEXT,
    documents TEXT NOT NULL,
    notes TEXT,
    status TEXT NOT NULL CHECK (status IN ('preparing', 'submitted', 'pending_information',
        'approved', 'denied', 'appealed', 'appeal_won', 'appeal_lost', 'withdrawn')),
    -- what the moves recorded
    outcome TEXT NOT NULL,
    -- the next date due (information, hearing, recertification), kept
    -- beside the record so that a worklist finds it through an index
    next_due_on DATE,
    next_due_kind TEXT CHECK (next_due_kind IN ('information', 'hearing', 'recertification')),
    created_by TEXT NOT NULL REFERENCES users (id),
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    version INTEGER NOT NULL,
    CHECK ((next_due_on IS NULL) = (next_due_kind IS NULL))
);
CREATE INDEX benefit_applications_client ON benefit_applications (client_id, created_at, id);
CREATE INDEX benefit_applications_due ON benefit_applications (next_due_on, id);
CREATE INDEX benefit_applications_created ON benefit_applications (created_at, id);

-- Every move and change, never changed itself.
CREATE TABLE benefit_application_events (
    id TEXT PRIMARY KEY NOT NULL,
    application_id TEXT NOT NULL REFERENCES benefit_applications (id),
    at TIMESTAMP NOT NULL,
    by_user TEXT NOT NULL REFERENCES users (id),
    from_status TEXT,
    to_status TEXT NOT NULL,
    on_day DATE NOT NULL,
    note TEXT
);
CREATE INDEX benefit_application_events_application
    ON benefit_application_events (application_id, at, id);
