DROP TABLE disclosures;
DROP TABLE api_clients;
DROP TABLE referral_events;
DROP TABLE referrals;
DROP TABLE consents;
