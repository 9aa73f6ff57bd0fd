DROP TABLE contact_cosignatures;
