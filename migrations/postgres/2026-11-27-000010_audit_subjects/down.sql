-- Back to one client per event: a list event becomes one row per client.
ALTER TABLE audit_events DISABLE TRIGGER audit_events_no_change;
INSERT INTO audit_events (id, occurred_at, actor_id, action, client_id, resource_type, resource_id, request_id)
    SELECT gen_random_uuid()::text, e.occurred_at, e.actor_id, e.action, s.client_id,
           'client', s.client_id, e.request_id
    FROM audit_events e JOIN audit_event_clients s ON s.event_id = e.id
    WHERE e.client_id IS NULL;
DELETE FROM audit_events WHERE client_id IS NULL;
ALTER TABLE audit_events ENABLE TRIGGER audit_events_no_change;
DROP TABLE audit_event_clients;
ALTER TABLE audit_events DROP CONSTRAINT audit_events_one_or_many;
ALTER TABLE audit_events DROP COLUMN client_ids;
ALTER TABLE audit_events ALTER COLUMN client_id SET NOT NULL;
CREATE INDEX audit_client ON audit_events (client_id, occurred_at, id);
