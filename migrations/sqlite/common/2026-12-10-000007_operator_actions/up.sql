-- The operator audit log: every action an operator takes on a user (a grant, a kick, a
-- passivation; src/service/operators.rs), who took it, when, why and what it carried. A row
-- is written before the action runs, with the outcome 'pending', and its outcome after; an
-- action whose record cannot be written is not taken. Ids grow with time (src/ids.rs).
CREATE TABLE operator_actions (
    action_id      BIGINT PRIMARY KEY NOT NULL,
    at_ms          BIGINT NOT NULL,
    operator       TEXT NOT NULL,
    action         TEXT NOT NULL,
    user_id        BIGINT NOT NULL,
    reason         TEXT NOT NULL,
    detail         TEXT NOT NULL,
    outcome        TEXT NOT NULL,
    finished_at_ms BIGINT NOT NULL
);
-- One user's actions, newest first (the user's page).
CREATE INDEX operator_actions_user ON operator_actions (user_id, action_id);
