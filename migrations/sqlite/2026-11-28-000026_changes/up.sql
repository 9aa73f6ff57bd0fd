-- One ordered feed of changes to client records: a row per change, written
-- in the change's transaction; `seq` is the cursor (SQLite's one writer
-- commits in `seq` order).
CREATE TABLE changes (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    at TIMESTAMP NOT NULL,
    record_type TEXT NOT NULL,
    record_id TEXT NOT NULL,
    client_id TEXT NOT NULL REFERENCES clients (id),
    action TEXT NOT NULL
);
CREATE INDEX changes_client ON changes (client_id, seq);
