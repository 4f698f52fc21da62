DROP INDEX inbox_waiting ON inbox;
