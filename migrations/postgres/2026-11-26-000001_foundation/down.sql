DROP TABLE idempotency_keys;
DROP TABLE audit_events;
DROP FUNCTION spoke_audit_append_only();
DROP TABLE clients;
DROP TABLE organizations;
DROP TABLE users;
DROP TABLE teams;
