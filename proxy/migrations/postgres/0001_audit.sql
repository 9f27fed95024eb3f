-- The audit log: one row per attempted action, written before Slack is called, and one
-- outcome row once the answer is known. Both tables are append-only: the database itself
-- refuses UPDATE, DELETE and TRUNCATE (see the triggers), whoever asks.
CREATE TABLE audit_actions (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at BIGINT NOT NULL,               -- Unix milliseconds
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
    action_id BIGINT PRIMARY KEY REFERENCES audit_actions(id),
    at BIGINT NOT NULL,
    outcome TEXT NOT NULL,            -- ok, slack_error, unknown
    slack_error TEXT,
    message TEXT
);

CREATE INDEX audit_actions_actor ON audit_actions(lower(actor_email), id);
CREATE INDEX audit_actions_target ON audit_actions(target_user, id);
CREATE INDEX audit_actions_at ON audit_actions(at);

CREATE FUNCTION roster_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the audit log is append-only' USING ERRCODE = 'insufficient_privilege';
END;
$$;

CREATE TRIGGER audit_actions_no_change BEFORE UPDATE OR DELETE ON audit_actions
    FOR EACH ROW EXECUTE FUNCTION roster_append_only();
CREATE TRIGGER audit_actions_no_truncate BEFORE TRUNCATE ON audit_actions
    FOR EACH STATEMENT EXECUTE FUNCTION roster_append_only();
CREATE TRIGGER audit_outcomes_no_change BEFORE UPDATE OR DELETE ON audit_outcomes
    FOR EACH ROW EXECUTE FUNCTION roster_append_only();
CREATE TRIGGER audit_outcomes_no_truncate BEFORE TRUNCATE ON audit_outcomes
    FOR EACH STATEMENT EXECUTE FUNCTION roster_append_only();
