-- A supervisor's co-signature of a signed contact: a record of its own, so
-- the signed contact itself never changes. One per contact.
CREATE TABLE contact_cosignatures (
    contact_id TEXT PRIMARY KEY NOT NULL REFERENCES contacts (id),
    cosigned_by TEXT NOT NULL REFERENCES users (id),
    cosigned_at TIMESTAMP NOT NULL
);
