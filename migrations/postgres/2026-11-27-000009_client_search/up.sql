-- Client name search through an index, and an index behind every list
-- filter in the list's keyset order (created_at, id).
--
-- `search_name` holds the names as Spoke folds them (lower case, no accents);
-- rows stored before folding are refolded once at start-up (`data_backfills`).
-- A pg_trgm index answers its substring searches (LIKE '%…%').

CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE INDEX clients_search_trgm ON clients USING gin (search_name gin_trgm_ops);

DROP INDEX clients_case_manager;
CREATE INDEX clients_case_manager_page ON clients (primary_case_manager_id, created_at, id);
CREATE INDEX clients_status_page ON clients (status, created_at, id);
CREATE INDEX clients_team_status_page ON clients (team_id, status, created_at, id);

-- One-time data changes made by Spoke's code at start-up, each recorded
-- here when done.
CREATE TABLE data_backfills (
    name TEXT PRIMARY KEY NOT NULL,
    done_at TIMESTAMP NOT NULL
);
