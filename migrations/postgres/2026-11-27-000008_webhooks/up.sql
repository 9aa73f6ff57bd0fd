-- Webhook subscriptions to referral events, and their outbox: one
-- delivery row per (subscription, event), written in the same transaction
-- as the change it reports, delivered by a background worker.
CREATE TABLE webhooks (
    id TEXT PRIMARY KEY NOT NULL,
    -- NULL: an admin's subscription to every referral.
    organization_id TEXT REFERENCES organizations (id),
    url TEXT NOT NULL,
    -- The signing secret (whsec_...); kept to sign, shown once.
    secret TEXT NOT NULL,
    event_types TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    disabled_at TIMESTAMP
);
CREATE INDEX webhooks_organization ON webhooks (organization_id);

CREATE TABLE webhook_deliveries (
    id TEXT PRIMARY KEY NOT NULL,
    -- The event's id: the same for every subscription, so receivers can
    -- drop duplicates.
    event_id TEXT NOT NULL,
    webhook_id TEXT NOT NULL REFERENCES webhooks (id),
    referral_id TEXT NOT NULL REFERENCES referrals (id),
    client_id TEXT NOT NULL REFERENCES clients (id),
    event_type TEXT NOT NULL,
    payload TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('pending', 'delivered', 'failed')),
    attempts INTEGER NOT NULL,
    next_attempt_at TIMESTAMP NOT NULL,
    last_attempt_at TIMESTAMP,
    last_status_code INTEGER,
    last_error TEXT,
    delivered_at TIMESTAMP,
    UNIQUE (webhook_id, event_id)
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (status, next_attempt_at);
CREATE INDEX webhook_deliveries_order ON webhook_deliveries (webhook_id, referral_id, created_at, id);
