-- Back to one client per event: a list event becomes one row per client.
DROP TRIGGER audit_event_clients_no_update;
DROP TRIGGER audit_event_clients_no_delete;
DROP TRIGGER audit_events_no_update;
DROP TRIGGER audit_events_no_delete;
CREATE TABLE audit_events_rebuilt (
    id TEXT PRIMARY KEY NOT NULL,
    occurred_at TIMESTAMP NOT NULL,
    actor_id TEXT NOT NULL,
    action TEXT NOT NULL,
    client_id TEXT NOT NULL,
    resource_type TEXT NOT NULL,
    resource_id TEXT NOT NULL,
    request_id TEXT NOT NULL
);
INSERT INTO audit_events_rebuilt
    SELECT CASE WHEN e.client_id IS NULL
               THEN lower(hex(randomblob(4))) || '-' || lower(hex(randomblob(2))) || '-4'
                    || substr(lower(hex(randomblob(2))), 2) || '-a'
                    || substr(lower(hex(randomblob(2))), 2) || '-' || lower(hex(randomblob(6)))
               ELSE e.id END,
           e.occurred_at, e.actor_id, e.action, s.client_id,
           CASE WHEN e.client_id IS NULL THEN 'client' ELSE e.resource_type END,
           CASE WHEN e.client_id IS NULL THEN s.client_id ELSE e.resource_id END,
           e.request_id
    FROM audit_events e JOIN audit_event_clients s ON s.event_id = e.id;
DROP TABLE audit_event_clients;
DROP TABLE audit_events;
ALTER TABLE audit_events_rebuilt RENAME TO audit_events;
CREATE INDEX audit_page ON audit_events (occurred_at, id);
CREATE INDEX audit_client ON audit_events (client_id, occurred_at, id);
CREATE INDEX audit_actor ON audit_events (actor_id, occurred_at, id);
CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events
BEGIN
    SELECT RAISE(ABORT, 'audit events are append-only');
END;
CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events
BEGIN
    SELECT RAISE(ABORT, 'audit events are append-only');
END;
