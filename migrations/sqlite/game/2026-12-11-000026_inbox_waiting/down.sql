DROP INDEX inbox_waiting;
