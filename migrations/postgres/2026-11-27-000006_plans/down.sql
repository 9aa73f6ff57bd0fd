DROP TABLE plan_notes;
DROP TABLE plan_tasks;
DROP TABLE plans;
