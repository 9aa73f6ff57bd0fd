-- Early-warning alerts: the agency's versions of the rules (the shipped
-- settings are version 1, in the code), the alerts they raise, and each
-- client's acuity as last evaluated.

CREATE TABLE alert_rules (
    code TEXT NOT NULL,
    version INTEGER NOT NULL CHECK (version > 1),
    enabled INTEGER NOT NULL,
    severity TEXT NOT NULL CHECK (severity IN ('low', 'medium', 'high')),
    escalate_after_hours INTEGER,
    params TEXT NOT NULL,
    changed_by TEXT NOT NULL REFERENCES users (id),
    changed_at TIMESTAMP NOT NULL,
    PRIMARY KEY (code, version)
);

CREATE TABLE alerts (
    id TEXT PRIMARY KEY NOT NULL,
    rule TEXT NOT NULL,
    rule_version INTEGER NOT NULL,
    severity TEXT NOT NULL CHECK (severity IN ('low', 'medium', 'high')),
    client_id TEXT REFERENCES clients (id),
    staff_id TEXT REFERENCES users (id),
    subject_key TEXT NOT NULL,
    summary TEXT NOT NULL,
    facts TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('open', 'acknowledged', 'snoozed', 'resolved')),
    opened_at TIMESTAMP NOT NULL,
    acknowledged_at TIMESTAMP,
    acknowledged_by TEXT REFERENCES users (id),
    snoozed_until DATE,
    resolved_at TIMESTAMP,
    resolved_by TEXT REFERENCES users (id),
    resolution TEXT CHECK (resolution IN ('facts_changed', 'by_hand')),
    note TEXT,
    escalated_at TIMESTAMP,
    cleared_at TIMESTAMP,
    updated_at TIMESTAMP NOT NULL,
    version INTEGER NOT NULL,
    CHECK ((client_id IS NULL) <> (staff_id IS NULL)),
    CHECK ((state = 'resolved') = (resolved_at IS NOT NULL)),
    CHECK ((state = 'snoozed') = (snoozed_until IS NOT NULL))
);
-- One live alert per rule and subject, whoever evaluates at the same time.
CREATE UNIQUE INDEX alerts_live ON alerts (rule, subject_key) WHERE cleared_at IS NULL;
CREATE INDEX alerts_client ON alerts (client_id, opened_at, id);
CREATE INDEX alerts_staff ON alerts (staff_id, opened_at, id);
CREATE INDEX alerts_by_state ON alerts (state, opened_at, id);

CREATE TABLE client_acuity (
    client_id TEXT PRIMARY KEY NOT NULL REFERENCES clients (id),
    score INTEGER NOT NULL,
    level TEXT NOT NULL CHECK (level IN ('low', 'moderate', 'high')),
    contributions TEXT NOT NULL,
    computed_at TIMESTAMP NOT NULL
);
CREATE INDEX client_acuity_score ON client_acuity (score, client_id);
