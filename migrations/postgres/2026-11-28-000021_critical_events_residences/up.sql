-- Critical events (hospitalizations, crises, arrests) and where clients live.

CREATE TABLE critical_events (
    id TEXT PRIMARY KEY NOT NULL,
    client_id TEXT NOT NULL REFERENCES clients (id),
    event_type TEXT NOT NULL CHECK (event_type IN ('psychiatric_hospitalization',
        'medical_hospitalization', 'emergency_department_visit', 'crisis_contact',
        'withdrawal_management', 'residential_treatment', 'arrest', 'incarceration',
        'housing_loss', 'overdose', 'suicide_attempt', 'victimization', 'death')),
    crisis_service TEXT,
    started_on DATE NOT NULL,
    -- null while a stay goes on
    ended_on DATE,
    organization_id TEXT REFERENCES organizations (id),
    facility_name TEXT,
    learned_from TEXT NOT NULL,
    learned_on DATE NOT NULL,
    sensitivity TEXT NOT NULL
        CHECK (sensitivity IN ('general', 'health', 'mental_health', 'substance_use')),
    notes TEXT,
    created_by TEXT NOT NULL REFERENCES users (id),
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    version INTEGER NOT NULL,
    CHECK (ended_on IS NULL OR ended_on >= started_on)
);
CREATE INDEX critical_events_client ON critical_events (client_id, started_on, id);
CREATE INDEX critical_events_started ON critical_events (started_on, id);
CREATE INDEX critical_events_type ON critical_events (event_type, started_on, id);

-- A client lives in one place at a time (checked under the client's row lock).
CREATE TABLE residences (
    id TEXT PRIMARY KEY NOT NULL,
    client_id TEXT NOT NULL REFERENCES clients (id),
    setting TEXT NOT NULL CHECK (setting IN ('own_home', 'with_family', 'supportive_housing',
        'group_home', 'nursing_facility', 'residential_treatment', 'psychiatric_hospital',
        'jail_or_prison', 'emergency_shelter', 'place_not_meant_for_habitation')),
    address TEXT,
    moved_in_on DATE NOT NULL,
    -- null while the client lives there
    moved_out_on DATE,
    notes TEXT,
    created_by TEXT NOT NULL REFERENCES users (id),
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    version INTEGER NOT NULL,
    CHECK (moved_out_on IS NULL OR moved_out_on > moved_in_on)
);
CREATE INDEX residences_client ON residences (client_id, moved_in_on, id);
-- At most one current residence per client.
CREATE UNIQUE INDEX residences_one_current ON residences (client_id) WHERE moved_out_on IS NULL;
