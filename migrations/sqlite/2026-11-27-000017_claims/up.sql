-- Claim batches for a payer and period, their lines, and which contacts
-- each line covers. A contact is on at most one live line: the partial
-- unique index refuses a second, whichever instance or request tries.

CREATE TABLE claim_batches (
    id TEXT PRIMARY KEY NOT NULL,
    payer TEXT NOT NULL,
    period_from DATE NOT NULL,
    period_to DATE NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('draft', 'exported', 'voided')),
    created_by TEXT NOT NULL REFERENCES users (id),
    exported_at TIMESTAMP,
    voided_at TIMESTAMP,
    void_reason TEXT,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    version INTEGER NOT NULL
);
CREATE INDEX claim_batches_page ON claim_batches (created_at, id);

CREATE TABLE claim_lines (
    id TEXT PRIMARY KEY NOT NULL,
    batch_id TEXT NOT NULL REFERENCES claim_batches (id),
    position INTEGER NOT NULL,
    client_id TEXT NOT NULL REFERENCES clients (id),
    medicaid_id TEXT NOT NULL,
    date_of_service DATE NOT NULL,
    procedure_code TEXT NOT NULL,
    modifiers TEXT NOT NULL,
    units INTEGER NOT NULL CHECK (units > 0),
    rendering_staff_id TEXT NOT NULL REFERENCES users (id),
    outcome TEXT NOT NULL CHECK (outcome IN ('pending', 'paid', 'denied')),
    denial_reason TEXT,
    UNIQUE (batch_id, position)
);

CREATE TABLE claim_line_contacts (
    line_id TEXT NOT NULL REFERENCES claim_lines (id),
    contact_id TEXT NOT NULL REFERENCES contacts (id),
    batch_id TEXT NOT NULL REFERENCES claim_batches (id),
    live INTEGER NOT NULL CHECK (live IN (0, 1)),
    PRIMARY KEY (line_id, contact_id)
);
CREATE UNIQUE INDEX claim_line_contacts_live ON claim_line_contacts (contact_id) WHERE live = 1;
CREATE INDEX claim_line_contacts_batch ON claim_line_contacts (batch_id);
