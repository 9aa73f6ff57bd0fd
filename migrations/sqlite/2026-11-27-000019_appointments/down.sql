DROP TABLE calendar_feeds;
DROP TABLE rides;
DROP TABLE appointments;
