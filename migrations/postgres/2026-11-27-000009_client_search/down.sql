DROP TABLE data_backfills;
DROP INDEX clients_team_status_page;
DROP INDEX clients_status_page;
DROP INDEX clients_case_manager_page;
CREATE INDEX clients_case_manager ON clients (primary_case_manager_id);
DROP INDEX clients_search_trgm;
