-- The audit log: one row per attempted action, written before Slack is called, and one
-- outcome row once the answer is known. Both tables are append-only (see the triggers).
CREATE TABLE audit_actions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at INTEGER NOT NULL,              -- Unix milliseconds
    request_id TEXT NOT NULL,
    actor_subject TEXT NOT NULL,
    actor_email TEXT NOT NULL,
    role TEXT NOT NULL,
    action TEXT NOT NULL,             -- invite, assign, remove, set_role, set_expiration, ...
    target_user TEXT,                 -- Slack user ID (or the invited email)
    workspace TEXT,
    params TEXT NOT NULL,             -- JSON, sensitive values redacted
    -- "pending" (an outcome row follows) or a final state written at once: "denied", "invalid"
    state TEXT NOT NULL,
    message TEXT
);

CREATE TABLE audit_outcomes (
    action_id INTEGER PRIMARY KEY REFERENCES audit_actions(id),
    at INTEGER NOT NULL,
    outcome TEXT NOT NULL,            -- ok, slack_error, unknown
    slack_error TEXT,
    message TEXT
);

CREATE INDEX audit_actions_actor ON audit_actions(actor_email, id);
CREATE INDEX audit_actions_target ON audit_actions(target_user, id);
CREATE INDEX audit_actions_at ON audit_actions(at);

CREATE TRIGGER audit_actions_no_update BEFORE UPDATE ON audit_actions
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER audit_actions_no_delete BEFORE DELETE ON audit_actions
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER audit_outcomes_no_update BEFORE UPDATE ON audit_outcomes
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER audit_outcomes_no_delete BEFORE DELETE ON audit_outcomes
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
