DROP TABLE service_locations;
DROP TABLE service_hours;
DROP TABLE service_taxonomy;
DROP TABLE service_languages;
DROP TABLE services;
DROP TABLE locations;
DROP TABLE taxonomy_terms;
DROP TABLE organizations;
CREATE TABLE organizations (
    id TEXT PRIMARY KEY NOT NULL,
    name TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
