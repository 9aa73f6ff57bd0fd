DROP TABLE safety_plans;
