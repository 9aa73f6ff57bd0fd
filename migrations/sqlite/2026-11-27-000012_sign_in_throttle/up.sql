-- Sign-in attempts, counted per bucket (an account from one network address,
-- an account from anywhere) so every instance shares the counts. An attempt
-- is counted before its password is checked, in the transaction that reads
-- the count: concurrent attempts cannot all pass.
CREATE TABLE sign_in_buckets (
    bucket TEXT PRIMARY KEY NOT NULL,
    window_start TIMESTAMP NOT NULL,
    attempts INTEGER NOT NULL
);
CREATE INDEX sign_in_buckets_window_start ON sign_in_buckets (window_start);
