-- Appointments, the rides to them, and the calendar feeds that carry them
-- to staff's calendar apps. Booleans are 0/1 integers, lists JSON text.

CREATE TABLE appointments (
    id TEXT PRIMARY KEY NOT NULL,
    client_id TEXT NOT NULL REFERENCES clients (id),
    starts_at TIMESTAMP NOT NULL,
    ends_at TIMESTAMP NOT NULL,
    kind TEXT NOT NULL,
    care_team_member_id TEXT REFERENCES care_team_members (id),
    service_id TEXT REFERENCES services (id),
    with_name TEXT,
    location_id TEXT REFERENCES locations (id),
    address TEXT,
    case_manager_attends INTEGER NOT NULL CHECK (case_manager_attends IN (0, 1)),
    referral_id TEXT REFERENCES referrals (id),
    task_id TEXT,
    notes TEXT,
    sensitivity TEXT NOT NULL
        CHECK (sensitivity IN ('general', 'health', 'mental_health', 'substance_use')),
    status TEXT NOT NULL
        CHECK (status IN ('scheduled', 'kept', 'missed', 'cancelled', 'rescheduled')),
    status_changed_by TEXT REFERENCES users (id),
    status_changed_at TIMESTAMP,
    status_reason TEXT,
    cancelled_by TEXT CHECK (cancelled_by IN ('client', 'provider')),
    rescheduled_from TEXT REFERENCES appointments (id),
    rescheduled_to TEXT REFERENCES appointments (id),
    created_by TEXT NOT NULL REFERENCES users (id),
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    version INTEGER NOT NULL,
    CHECK (ends_at > starts_at),
    CHECK ((status = 'cancelled') = (cancelled_by IS NOT NULL)),
    CHECK ((status = 'rescheduled') = (rescheduled_to IS NOT NULL))
);
-- A client's appointments in time order.
CREATE INDEX appointments_client ON appointments (client_id, starts_at, id);
-- Calendars across clients: everyone's in a date range.
CREATE INDEX appointments_starts ON appointments (starts_at, id);

-- The ride to an appointment, when it needs one.
CREATE TABLE rides (
    appointment_id TEXT PRIMARY KEY NOT NULL REFERENCES appointments (id),
    mode TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('requested', 'arranged', 'completed', 'failed')),
    pickup_address TEXT,
    pickup_at TIMESTAMP,
    -- the pickup, or the appointment's start when none is set: the
    -- dispatcher's order
    departs_at TIMESTAMP NOT NULL,
    staff_ids TEXT NOT NULL,
    cost_cents BIGINT CHECK (cost_cents BETWEEN 0 AND 100000000),
    nemt_trip_id TEXT,
    arranged_by TEXT REFERENCES users (id),
    arranged_at TIMESTAMP,
    failure_reason TEXT,
    CHECK ((status = 'failed') = (failure_reason IS NOT NULL))
);
CREATE INDEX rides_departs ON rides (departs_at, appointment_id);

-- A staff member's calendar feed: the secret in its URL is kept only as a
-- hash. One feed per user; a new one revokes the old.
CREATE TABLE calendar_feeds (
    user_id TEXT PRIMARY KEY NOT NULL REFERENCES users (id),
    token_hash TEXT NOT NULL UNIQUE,
    created_at TIMESTAMP NOT NULL
);
