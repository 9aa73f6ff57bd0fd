-- Idempotency records expire after a retention window; the sweep finds them
-- by age.
CREATE INDEX idempotency_keys_created_at ON idempotency_keys (created_at);
