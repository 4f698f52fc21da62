ALTER TABLE battles DROP COLUMN lineup;
