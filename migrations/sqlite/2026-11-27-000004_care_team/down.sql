DROP TABLE natural_supports;
DROP TABLE care_team_members;
