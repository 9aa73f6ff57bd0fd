-- One ordered feed of changes to client records: a row per change, written
-- in the change's transaction; `seq` is the cursor. Writers append under a
-- transaction-level advisory lock taken just before the rows go in, so
-- rows commit in `seq` order and a reader never skips one that commits late.
CREATE TABLE changes (
    seq BIGSERIAL PRIMARY KEY,
    at TIMESTAMP NOT NULL,
    record_type TEXT NOT NULL,
    record_id TEXT NOT NULL,
    client_id TEXT NOT NULL REFERENCES clients (id),
    action TEXT NOT NULL
);
CREATE INDEX changes_client ON changes (client_id, seq);
