DROP TABLE battles;
DROP TABLE teams;
