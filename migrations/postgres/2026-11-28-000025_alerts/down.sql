DROP TABLE client_acuity;
DROP TABLE alerts;
DROP TABLE alert_rules;
