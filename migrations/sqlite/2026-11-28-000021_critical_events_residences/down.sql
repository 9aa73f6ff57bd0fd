DROP TABLE residences;
DROP TABLE critical_events;
