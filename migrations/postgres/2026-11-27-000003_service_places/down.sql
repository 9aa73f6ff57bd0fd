DROP TABLE service_places;
