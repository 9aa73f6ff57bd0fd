-- Client name search through an index, and an index behind every list
-- filter in the list's keyset order (created_at, id).
--
-- `search_name` holds the names as Spoke folds them (lower case, no accents);
-- rows stored before folding are refolded once at start-up (`data_backfills`).
-- A trigram full-text index over it answers substring searches: `seq` is a
-- stable integer key for it (rowids may change on VACUUM; `seq` does not).

ALTER TABLE clients ADD COLUMN seq INTEGER;
UPDATE clients SET seq = rowid;
CREATE UNIQUE INDEX clients_seq ON clients (seq);

CREATE VIRTUAL TABLE clients_search USING fts5 (
    name,
    content = '',
    contentless_delete = 1,
    tokenize = 'trigram'
);
INSERT INTO clients_search (rowid, name) SELECT seq, search_name FROM clients;

CREATE TRIGGER clients_search_insert AFTER INSERT ON clients
BEGIN
    UPDATE clients SET seq = (SELECT COALESCE(MAX(seq), 0) + 1 FROM clients)
        WHERE rowid = new.rowid;
    INSERT INTO clients_search (rowid, name)
        SELECT seq, search_name FROM clients WHERE rowid = new.rowid;
END;
CREATE TRIGGER clients_search_update AFTER UPDATE OF search_name ON clients
    WHEN old.search_name IS NOT new.search_name
BEGIN
    DELETE FROM clients_search WHERE rowid = old.seq;
    INSERT INTO clients_search (rowid, name) VALUES (new.seq, new.search_name);
END;

-- The keyset indexes carry the folded name, so a name search that walks a
-- team's rows (or everyone's, for a name too common for the trigram index to
-- help) reads index pages only, not a table row per client.
DROP INDEX clients_page;
CREATE INDEX clients_page ON clients (created_at, id, search_name);
DROP INDEX clients_team_page;
CREATE INDEX clients_team_page ON clients (team_id, created_at, id, search_name);
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
