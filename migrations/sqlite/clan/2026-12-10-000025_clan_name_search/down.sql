DROP INDEX clans_name_nocase;
