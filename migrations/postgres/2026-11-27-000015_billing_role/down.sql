-- Back to four roles; billing users must be removed or given another role first.
ALTER TABLE users DROP CONSTRAINT users_role_check;
ALTER TABLE users ADD CONSTRAINT users_role_check
    CHECK (role IN ('admin', 'supervisor', 'case_manager', 'care_team_member'));
