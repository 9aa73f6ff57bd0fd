-- One audit event may name several clients: a list page is one
-- `client.listed` event naming the clients it showed, not one row each.
-- `audit_event_clients` says which clients each event is about; "who saw
-- client X" reads it through its primary key. `audit_events.client_id`
-- stays the one client of single-client events and is null for lists,
-- whose clients `client_ids` lists (a JSON array).
--
-- SQLite cannot drop a NOT NULL constraint, so the table is rebuilt (its
-- append-only triggers with it).

DROP TRIGGER audit_events_no_update;
DROP TRIGGER audit_events_no_delete;
CREATE TABLE audit_events_rebuilt (
    id TEXT PRIMARY KEY NOT NULL,
    occurred_at TIMESTAMP NOT NULL,
    actor_id TEXT NOT NULL,
    action TEXT NOT NULL,
    client_id TEXT,
    client_ids TEXT,
    resource_type TEXT NOT NULL,
    resource_id TEXT NOT NULL,
    request_id TEXT NOT NULL,
    CHECK ((client_id IS NULL) <> (client_ids IS NULL))
);
INSERT INTO audit_events_rebuilt
    (id, occurred_at, actor_id, action, client_id, resource_type, resource_id, request_id)
    SELECT id, occurred_at, actor_id, action, client_id, resource_type, resource_id, request_id
    FROM audit_events;
DROP TABLE audit_events;
ALTER TABLE audit_events_rebuilt RENAME TO audit_events;
CREATE INDEX audit_page ON audit_events (occurred_at, id);
CREATE INDEX audit_actor ON audit_events (actor_id, occurred_at, id);

CREATE TABLE audit_event_clients (
    client_id TEXT NOT NULL,
    occurred_at TIMESTAMP NOT NULL,
    event_id TEXT NOT NULL,
    PRIMARY KEY (client_id, occurred_at, event_id)
) WITHOUT ROWID;
INSERT INTO audit_event_clients (client_id, occurred_at, event_id)
    SELECT client_id, occurred_at, id FROM audit_events;

-- The audit log is append-only, enforced by the database itself.
CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events
BEGIN
    SELECT RAISE(ABORT, 'audit events are append-only');
END;
CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events
BEGIN
    SELECT RAISE(ABORT, 'audit events are append-only');
END;
CREATE TRIGGER audit_event_clients_no_update BEFORE UPDATE ON audit_event_clients
BEGIN
    SELECT RAISE(ABORT, 'audit events are append-only');
END;
CREATE TRIGGER audit_event_clients_no_delete BEFORE DELETE ON audit_event_clients
BEGIN
    SELECT RAISE(ABORT, 'audit events are append-only');
END;
