DROP TABLE benefit_application_events;
DROP TABLE benefit_applications;
