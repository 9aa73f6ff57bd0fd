-- One audit event may name several clients: a list page is one
-- `client.listed` event naming the clients it showed, not one row each.
-- `audit_event_clients` says which clients each event is about; "who saw
-- client X" reads it through its primary key. `audit_events.client_id`
-- stays the one client of single-client events and is null for lists,
-- whose clients `client_ids` lists (a JSON array).

ALTER TABLE audit_events ALTER COLUMN client_id DROP NOT NULL;
ALTER TABLE audit_events ADD COLUMN client_ids TEXT;
ALTER TABLE audit_events ADD CONSTRAINT audit_events_one_or_many
    CHECK ((client_id IS NULL) <> (client_ids IS NULL));
DROP INDEX audit_client;

CREATE TABLE audit_event_clients (
    client_id TEXT NOT NULL,
    occurred_at TIMESTAMP NOT NULL,
    event_id TEXT NOT NULL,
    PRIMARY KEY (client_id, occurred_at, event_id)
);
INSERT INTO audit_event_clients (client_id, occurred_at, event_id)
    SELECT client_id, occurred_at, id FROM audit_events;

-- Append-only, as the events themselves.
CREATE TRIGGER audit_event_clients_no_change BEFORE UPDATE OR DELETE ON audit_event_clients
    FOR EACH ROW EXECUTE FUNCTION spoke_audit_append_only();
CREATE TRIGGER audit_event_clients_no_truncate BEFORE TRUNCATE ON audit_event_clients
    FOR EACH STATEMENT EXECUTE FUNCTION spoke_audit_append_only();
