-- Bulk jobs: a job and its operations, each with its state, kept so a restart resumes where
-- the job stopped. Unlike the audit log these rows change as the job runs; every Slack call
-- an operation makes is in the audit log as well.
CREATE TABLE jobs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    title TEXT NOT NULL,
    created_at INTEGER NOT NULL,      -- Unix milliseconds
    creator_subject TEXT NOT NULL,
    creator_email TEXT NOT NULL,
    creator_groups TEXT NOT NULL,     -- JSON array
    creator_role TEXT NOT NULL,       -- the role when the job was created
    state TEXT NOT NULL,              -- running, paused, cancelled, finished
    finished_at INTEGER
);

CREATE TABLE job_operations (
    job_id INTEGER NOT NULL REFERENCES jobs(id),
    idx INTEGER NOT NULL,
    operation TEXT NOT NULL,          -- JSON (roster_api::Operation)
    state TEXT NOT NULL,              -- pending, running, done, failed, skipped, unknown
    message TEXT,
    slack_error TEXT,
    audit_id INTEGER,
    attempts INTEGER NOT NULL DEFAULT 0,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (job_id, idx)
);

CREATE INDEX jobs_creator ON jobs(creator_email, id);
CREATE INDEX jobs_state ON jobs(state);
