DROP TABLE contacts;
DROP TABLE billing_configs;
