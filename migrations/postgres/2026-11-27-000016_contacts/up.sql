-- Contacts, the record of the work, and the payers' billing rules they are
-- judged by when signed. Booleans are 0/1 integers, lists JSON text.

-- One version of a payer's rules; versions never change.
CREATE TABLE billing_configs (
    id TEXT PRIMARY KEY NOT NULL,
    payer TEXT NOT NULL,
    version INTEGER NOT NULL,
    name TEXT NOT NULL,
    procedure_code TEXT NOT NULL,
    modifiers TEXT NOT NULL,
    unit_minutes INTEGER NOT NULL CHECK (unit_minutes BETWEEN 1 AND 60),
    rounding TEXT NOT NULL CHECK (rounding IN ('more_than_half', 'whole_units')),
    max_units_per_day INTEGER NOT NULL CHECK (max_units_per_day BETWEEN 1 AND 96),
    billable_activities TEXT NOT NULL,
    billable_modes TEXT NOT NULL,
    bills_collateral INTEGER NOT NULL CHECK (bills_collateral IN (0, 1)),
    requires_medicaid_id INTEGER NOT NULL CHECK (requires_medicaid_id IN (0, 1)),
    min_narrative_chars INTEGER NOT NULL,
    created_at TIMESTAMP NOT NULL,
    UNIQUE (payer, version)
);

CREATE TABLE contacts (
    id TEXT PRIMARY KEY NOT NULL,
    client_id TEXT NOT NULL REFERENCES clients (id),
    author_id TEXT NOT NULL REFERENCES users (id),
    started_at TIMESTAMP NOT NULL,
    duration_minutes INTEGER NOT NULL CHECK (duration_minutes BETWEEN 1 AND 1440),
    date_of_service DATE NOT NULL,
    after_hours INTEGER NOT NULL CHECK (after_hours IN (0, 1)),
    mode TEXT NOT NULL,
    setting TEXT NOT NULL,
    client_present INTEGER NOT NULL CHECK (client_present IN (0, 1)),
    -- natural supports, care-team members, other people and staff present
    participants TEXT NOT NULL,
    two_person_override_reason TEXT,
    activities TEXT NOT NULL,
    goal_ids TEXT NOT NULL,
    referral_ids TEXT NOT NULL,
    goal_progress TEXT,
    declined_services TEXT,
    coordination TEXT,
    narrative TEXT NOT NULL,
    travel_minutes INTEGER CHECK (travel_minutes BETWEEN 0 AND 1440),
    travel_miles DOUBLE PRECISION CHECK (travel_miles BETWEEN 0 AND 2000),
    sensitivity TEXT NOT NULL
        CHECK (sensitivity IN ('general', 'health', 'mental_health', 'substance_use')),
    amends_id TEXT REFERENCES contacts (id),
    status TEXT NOT NULL CHECK (status IN ('draft', 'signed')),
    signed_at TIMESTAMP,
    late_entry INTEGER NOT NULL CHECK (late_entry IN (0, 1)),
    -- what it bills, decided when signed
    billing_config_id TEXT REFERENCES billing_configs (id),
    billable_units INTEGER,
    not_billable TEXT,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    version INTEGER NOT NULL,
    CHECK ((status = 'signed') = (signed_at IS NOT NULL AND billable_units IS NOT NULL))
);
-- A client's contacts, newest first.
CREATE INDEX contacts_client ON contacts (client_id, started_at, id);
-- Across clients: a staff member's, or everyone's in a date range.
CREATE INDEX contacts_author ON contacts (author_id, started_at, id);
CREATE INDEX contacts_started ON contacts (started_at, id);
-- A client's units of a day, for the payer's daily limit.
CREATE INDEX contacts_client_day ON contacts (client_id, date_of_service);
CREATE INDEX contacts_amends ON contacts (amends_id);

-- A signed contact never changes and is never deleted: it is corrected by a
-- new contact that amends it.
CREATE FUNCTION spoke_contact_signed_never_changes() RETURNS trigger AS $$
BEGIN
    IF OLD.status = 'signed' THEN
        RAISE EXCEPTION 'a signed contact never changes' USING ERRCODE = 'restrict_violation';
    END IF;
    IF TG_OP = 'DELETE' THEN
        RETURN OLD;
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER contacts_signed_never_change BEFORE UPDATE OR DELETE ON contacts
    FOR EACH ROW EXECUTE FUNCTION spoke_contact_signed_never_changes();
