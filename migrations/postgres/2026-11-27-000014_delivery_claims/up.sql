-- Several workers on one database: a worker claims the deliveries it will
-- attempt (its claim token, until the lease ends), so no two attempt the same
-- one; a crashed worker's claims lapse with the lease. An attempt is recorded
-- only under the claim it was made under and at the attempt count it saw.
ALTER TABLE webhook_deliveries ADD COLUMN claim TEXT;
ALTER TABLE webhook_deliveries ADD COLUMN claimed_until TIMESTAMP;
