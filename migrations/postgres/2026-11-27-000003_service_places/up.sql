-- The near search's index: one narrow row per service and located place,
-- carrying the place's coordinates and the service's filterable fields, so
-- every filter but free text and opening hours is decided without leaving
-- this table. Derived from services and locations in the same transaction
-- as their writes; only places with coordinates appear.
CREATE TABLE service_places (
    -- floor(latitude * 20): bands of 0.05 degrees, about 5.5 km.
    lat_band INTEGER NOT NULL,
    longitude DOUBLE PRECISION NOT NULL,
    latitude DOUBLE PRECISION NOT NULL,
    service_id TEXT NOT NULL REFERENCES services (id) ON DELETE CASCADE,
    location_id TEXT NOT NULL REFERENCES locations (id),
    status TEXT NOT NULL,
    accepts_medicaid INTEGER NOT NULL,
    minimum_age INTEGER,
    maximum_age INTEGER,
    capacity TEXT,
    last_modified TIMESTAMP NOT NULL,
    -- '|en|es-MX|': every language tag between bars.
    languages TEXT NOT NULL,
    -- '|/basic-needs/food/|': every taxonomy term's path between bars.
    term_paths TEXT NOT NULL,
    PRIMARY KEY (lat_band, longitude, service_id, location_id)
);
CREATE INDEX service_places_service ON service_places (service_id);
CREATE INDEX service_places_location ON service_places (location_id);

INSERT INTO service_places
SELECT
    floor(l.latitude * 20)::INTEGER,
    l.longitude,
    l.latitude,
    s.id,
    l.id,
    s.status,
    s.accepts_medicaid,
    s.minimum_age,
    s.maximum_age,
    s.capacity,
    s.last_modified,
    '|' || COALESCE((SELECT string_agg(language, '|') FROM service_languages WHERE service_id = s.id), '') || '|',
    '|' || COALESCE((SELECT string_agg(t.path, '|') FROM service_taxonomy st JOIN taxonomy_terms t ON t.id = st.term_id WHERE st.service_id = s.id), '') || '|'
FROM services s
JOIN service_locations sl ON sl.service_id = s.id
JOIN locations l ON l.id = sl.location_id
WHERE l.latitude IS NOT NULL AND l.longitude IS NOT NULL;
