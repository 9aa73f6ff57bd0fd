-- The people around a client: the care team, each member for a period, and
-- natural supports.
CREATE TABLE care_team_members (
    id TEXT PRIMARY KEY NOT NULL,
    client_id TEXT NOT NULL REFERENCES clients (id),
    kind TEXT NOT NULL CHECK (kind IN ('staff', 'external')),
    -- A staff member is a user; an external one has a name and profession.
    user_id TEXT REFERENCES users (id),
    name TEXT,
    profession TEXT,
    organization TEXT,
    phone TEXT,
    email TEXT,
    responsibility TEXT,
    started_on DATE NOT NULL,
    ended_on DATE,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    version INTEGER NOT NULL,
    CHECK ((kind = 'staff') = (user_id IS NOT NULL)),
    CHECK (ended_on IS NULL OR ended_on >= started_on)
);
CREATE INDEX care_team_members_client ON care_team_members (client_id, started_on);
-- A care-team member's client list and access checks.
CREATE INDEX care_team_members_user ON care_team_members (user_id, client_id);

CREATE TABLE natural_supports (
    id TEXT PRIMARY KEY NOT NULL,
    client_id TEXT NOT NULL REFERENCES clients (id),
    name TEXT NOT NULL,
    relationship TEXT NOT NULL,
    phone TEXT,
    email TEXT,
    role_in_plan TEXT,
    may_share_information INTEGER NOT NULL CHECK (may_share_information IN (0, 1)),
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    version INTEGER NOT NULL
);
CREATE INDEX natural_supports_client ON natural_supports (client_id, created_at);
