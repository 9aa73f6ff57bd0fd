DROP TABLE claim_line_contacts;
DROP TABLE claim_lines;
DROP TABLE claim_batches;
