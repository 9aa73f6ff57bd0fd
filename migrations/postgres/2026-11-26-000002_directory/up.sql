-- The community resource directory, shaped after Open Referral HSDS 3.0.
-- hsds_id keeps the id a record had in the dataset it was imported from,
-- so importing the same dataset again updates instead of duplicating.

-- The foundation's placeholder organizations table grows into the directory's.
DROP TABLE organizations;
CREATE TABLE organizations (
    id TEXT PRIMARY KEY NOT NULL,
    hsds_id TEXT UNIQUE,
    name TEXT NOT NULL,
    description TEXT,
    website TEXT,
    email TEXT,
    tax_id TEXT,
    parent_id TEXT REFERENCES organizations (id),
    phones TEXT NOT NULL,
    last_modified TIMESTAMP NOT NULL,
    created_at TIMESTAMP NOT NULL,
    version INTEGER NOT NULL
);
CREATE INDEX organizations_name ON organizations (name, id);

CREATE TABLE taxonomy_terms (
    id TEXT PRIMARY KEY NOT NULL,
    hsds_id TEXT UNIQUE,
    code TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    description TEXT,
    parent_id TEXT REFERENCES taxonomy_terms (id),
    path TEXT NOT NULL,
    last_modified TIMESTAMP NOT NULL
);
CREATE INDEX taxonomy_terms_path ON taxonomy_terms (path);

CREATE TABLE locations (
    id TEXT PRIMARY KEY NOT NULL,
    hsds_id TEXT UNIQUE,
    organization_id TEXT NOT NULL REFERENCES organizations (id),
    name TEXT NOT NULL,
    address TEXT,
    latitude DOUBLE PRECISION,
    longitude DOUBLE PRECISION,
    accessibility TEXT,
    transportation TEXT,
    phones TEXT NOT NULL,
    last_modified TIMESTAMP NOT NULL,
    created_at TIMESTAMP NOT NULL,
    version INTEGER NOT NULL
);
CREATE INDEX locations_geo ON locations (latitude, longitude);
CREATE INDEX locations_organization ON locations (organization_id);

CREATE TABLE services (
    id TEXT PRIMARY KEY NOT NULL,
    hsds_id TEXT UNIQUE,
    organization_id TEXT NOT NULL REFERENCES organizations (id),
    name TEXT NOT NULL,
    -- Lower-cased name, compared byte by byte on both backends so lists
    -- sort the same everywhere.
    sort_name TEXT COLLATE "C" NOT NULL,
    description TEXT,
    search_text TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('active', 'inactive', 'defunct', 'temporarily_closed')),
    application_process TEXT,
    fees_description TEXT,
    wait_time TEXT,
    eligibility_description TEXT,
    minimum_age INTEGER,
    maximum_age INTEGER,
    accepts_medicaid INTEGER NOT NULL CHECK (accepts_medicaid IN (0, 1)),
    interpretation_services TEXT,
    phones TEXT NOT NULL,
    -- The record as served (JSON); the service_* tables below index it.
    languages TEXT NOT NULL,
    hours TEXT NOT NULL,
    taxonomy_term_ids TEXT NOT NULL,
    location_ids TEXT NOT NULL,
    capacity TEXT CHECK (capacity IN ('accepting', 'waitlist', 'full')),
    capacity_note TEXT,
    capacity_updated_at TIMESTAMP,
    last_modified TIMESTAMP NOT NULL,
    created_at TIMESTAMP NOT NULL,
    version INTEGER NOT NULL
);
CREATE INDEX services_name ON services (sort_name, id);
CREATE INDEX services_modified ON services (last_modified, id);
CREATE INDEX services_organization ON services (organization_id);

-- Derived from each service's JSON columns in the same transaction, for
-- filters the database can index.
CREATE TABLE service_languages (
    service_id TEXT NOT NULL REFERENCES services (id) ON DELETE CASCADE,
    language TEXT NOT NULL,
    PRIMARY KEY (service_id, language)
);
CREATE INDEX service_languages_language ON service_languages (language, service_id);

CREATE TABLE service_taxonomy (
    service_id TEXT NOT NULL REFERENCES services (id) ON DELETE CASCADE,
    term_id TEXT NOT NULL REFERENCES taxonomy_terms (id),
    PRIMARY KEY (service_id, term_id)
);
CREATE INDEX service_taxonomy_term ON service_taxonomy (term_id, service_id);

CREATE TABLE service_hours (
    service_id TEXT NOT NULL REFERENCES services (id) ON DELETE CASCADE,
    weekday INTEGER NOT NULL CHECK (weekday BETWEEN 1 AND 7),
    opens_minute INTEGER NOT NULL,
    closes_minute INTEGER NOT NULL,
    PRIMARY KEY (service_id, weekday, opens_minute)
);

CREATE TABLE service_locations (
    service_id TEXT NOT NULL REFERENCES services (id) ON DELETE CASCADE,
    location_id TEXT NOT NULL REFERENCES locations (id),
    PRIMARY KEY (service_id, location_id)
);
CREATE INDEX service_locations_location ON service_locations (location_id, service_id);
