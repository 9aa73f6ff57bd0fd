DROP TABLE client_assignments;
DROP TABLE transfers;
