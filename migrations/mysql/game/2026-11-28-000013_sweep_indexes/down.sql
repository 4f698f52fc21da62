DROP INDEX mail_expires_at ON mail;
DROP INDEX mail_claimed_at ON mail;
DROP INDEX battles_expires_at ON battles;
