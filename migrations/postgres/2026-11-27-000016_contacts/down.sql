DROP TABLE contacts;
DROP FUNCTION spoke_contact_signed_never_changes();
DROP TABLE billing_configs;
