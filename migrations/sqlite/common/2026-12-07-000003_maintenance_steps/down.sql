DROP TABLE maintenance_steps;
