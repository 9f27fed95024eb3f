-- Bulk jobs: a job and its operations, each with its state, kept so a restart (or another
-- replica) resumes where the job stopped. Unlike the audit log these rows change as the job
-- runs; every Slack call an operation makes is in the audit log as well.
CREATE TABLE jobs (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    title TEXT NOT NULL,
    created_at BIGINT NOT NULL,       -- Unix milliseconds
    creator_subject TEXT NOT NULL,
    creator_email TEXT NOT NULL,
    creator_groups TEXT NOT NULL,     -- JSON array
    creator_role TEXT NOT NULL,       -- the role when the job was created
    state TEXT NOT NULL,              -- running, paused, cancelled, finished
    finished_at BIGINT
);

CREATE TABLE job_operations (
    job_id BIGINT NOT NULL REFERENCES jobs(id),
    idx BIGINT NOT NULL,
    operation TEXT NOT NULL,          -- JSON (roster_api::Operation)
    state TEXT NOT NULL,              -- pending, running, done, failed, skipped, unknown
    message TEXT,
    slack_error TEXT,
    audit_id BIGINT,
    attempts BIGINT NOT NULL DEFAULT 0,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (job_id, idx)
);

CREATE INDEX jobs_creator ON jobs(lower(creator_email), id);
CREATE INDEX jobs_state ON jobs(state);
