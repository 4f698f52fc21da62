ALTER TABLE users DROP COLUMN owner_node;
