DROP TABLE assessments;
DROP TABLE instruments;
