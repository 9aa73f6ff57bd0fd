-- Billing staff: a role that prepares and follows Medicaid claims and reads no narratives.
ALTER TABLE users DROP CONSTRAINT users_role_check;
ALTER TABLE users ADD CONSTRAINT users_role_check
    CHECK (role IN ('admin', 'supervisor', 'case_manager', 'care_team_member', 'billing'));
