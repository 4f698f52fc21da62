-- When Logout, DeleteAccount or an operator ended the session (0: it has not ended), and the
-- seq of the DeleteAccount that ended it (0: Logout or a kick). An ended session keeps its
-- token and id so that a retry of its last request still gets the stored reply (PROTOCOL.md),
-- and that DeleteAccount runs again if its answer was never stored; any other request with
-- the token is refused.
ALTER TABLE sessions ADD COLUMN ended_at_ms BIGINT NOT NULL DEFAULT 0;
ALTER TABLE sessions ADD COLUMN ended_by_seq BIGINT NOT NULL DEFAULT 0;
