DROP TABLE sign_in_buckets;
