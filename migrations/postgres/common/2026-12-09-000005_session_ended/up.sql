-- When Logout, DeleteAccount or an operator ended the session (0: it has not ended). An
-- ended session keeps its token and id so that a retry of its last request still gets that
-- request's stored reply (PROTOCOL.md); any other request with the token is refused.
ALTER TABLE sessions ADD COLUMN ended_at_ms BIGINT NOT NULL DEFAULT 0;
