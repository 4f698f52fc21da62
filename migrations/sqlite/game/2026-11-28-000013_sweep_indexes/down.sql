DROP INDEX mail_expires_at;
DROP INDEX mail_claimed_at;
DROP INDEX battles_expires_at;
