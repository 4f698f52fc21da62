DROP TABLE work_leases;
DROP TABLE nodes;
