-- Consents, closed-loop referrals with their history, partner API clients
-- and the accounting of disclosures.
CREATE TABLE consents (
    id TEXT PRIMARY KEY NOT NULL,
    client_id TEXT NOT NULL REFERENCES clients (id),
    -- One organization, or any organization in the directory.
    recipient_organization_id TEXT REFERENCES organizations (id),
    any_organization INTEGER NOT NULL CHECK (any_organization IN (0, 1)),
    categories TEXT NOT NULL,
    purpose TEXT NOT NULL,
    effective_on DATE NOT NULL,
    expires_on DATE,
    method TEXT NOT NULL CHECK (method IN ('signed', 'verbal_with_witness')),
    witness_name TEXT,
    document_reference TEXT,
    -- The 42 CFR Part 2 elements (JSON), for substance-use consents.
    part2 TEXT,
    revoked_at TIMESTAMP,
    revocation_reason TEXT,
    recorded_by TEXT NOT NULL REFERENCES users (id),
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    version INTEGER NOT NULL,
    CHECK ((recipient_organization_id IS NULL) = (any_organization = 1))
);
CREATE INDEX consents_client ON consents (client_id, created_at);

CREATE TABLE referrals (
    id TEXT PRIMARY KEY NOT NULL,
    client_id TEXT NOT NULL REFERENCES clients (id),
    organization_id TEXT NOT NULL REFERENCES organizations (id),
    service_id TEXT NOT NULL REFERENCES services (id),
    reason TEXT NOT NULL,
    needs TEXT NOT NULL,
    priority TEXT NOT NULL CHECK (priority IN ('routine', 'urgent')),
    note_for_partner TEXT,
    categories TEXT NOT NULL,
    due_by DATE,
    status TEXT NOT NULL,
    business_status TEXT,
    consent_id TEXT REFERENCES consents (id),
    outcome TEXT,
    linked_on DATE,
    redirected_from TEXT REFERENCES referrals (id),
    created_by TEXT NOT NULL REFERENCES users (id),
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    version INTEGER NOT NULL
);
CREATE INDEX referrals_client ON referrals (client_id, updated_at, id);
CREATE INDEX referrals_organization ON referrals (organization_id, updated_at, id);
CREATE INDEX referrals_updated ON referrals (updated_at, id);

-- Every move of every referral: who, when, from, to, why. Never rewritten.
CREATE TABLE referral_events (
    id TEXT PRIMARY KEY NOT NULL,
    referral_id TEXT NOT NULL REFERENCES referrals (id),
    at TIMESTAMP NOT NULL,
    by_user_id TEXT REFERENCES users (id),
    by_organization_id TEXT REFERENCES organizations (id),
    from_status TEXT,
    to_status TEXT NOT NULL,
    reason TEXT,
    business_status TEXT,
    CHECK ((by_user_id IS NULL) <> (by_organization_id IS NULL))
);
CREATE INDEX referral_events_referral ON referral_events (referral_id, at, id);

-- Partner organizations' OAuth clients; the secret is stored hashed.
CREATE TABLE api_clients (
    id TEXT PRIMARY KEY NOT NULL,
    organization_id TEXT NOT NULL REFERENCES organizations (id),
    name TEXT NOT NULL,
    secret_hash TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    rotated_at TIMESTAMP,
    revoked_at TIMESTAMP,
    version INTEGER NOT NULL
);
CREATE INDEX api_clients_organization ON api_clients (organization_id);

-- The accounting of disclosures: every time a partner received client
-- information.
CREATE TABLE disclosures (
    id TEXT PRIMARY KEY NOT NULL,
    client_id TEXT NOT NULL REFERENCES clients (id),
    organization_id TEXT NOT NULL REFERENCES organizations (id),
    api_client_id TEXT,
    referral_id TEXT REFERENCES referrals (id),
    channel TEXT NOT NULL CHECK (channel IN ('read', 'webhook')),
    disclosed TEXT NOT NULL,
    purpose TEXT NOT NULL,
    consent_id TEXT REFERENCES consents (id),
    disclosed_at TIMESTAMP NOT NULL
);
CREATE INDEX disclosures_client ON disclosures (client_id, disclosed_at, id);
