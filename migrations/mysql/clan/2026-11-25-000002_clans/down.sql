DROP TABLE clan_members;
DROP TABLE clans;
