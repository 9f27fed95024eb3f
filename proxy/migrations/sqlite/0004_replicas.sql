-- Who runs each job: a lease that expires unless its owner renews it, and a term that grows
-- at each takeover. Every write the owner makes carries its term, so an owner that lost
-- its lease writes nothing more. (SQLite serves one process; the same rules hold.)
ALTER TABLE jobs ADD COLUMN owner TEXT;
ALTER TABLE jobs ADD COLUMN term INTEGER NOT NULL DEFAULT 0;
ALTER TABLE jobs ADD COLUMN lease_until INTEGER;  -- Unix milliseconds, the database's clock

-- Leases of work one process does for all (the directory sync).
CREATE TABLE leases (
    name TEXT PRIMARY KEY,
    owner TEXT,
    term INTEGER NOT NULL DEFAULT 0,
    expires_at INTEGER NOT NULL DEFAULT 0  -- Unix milliseconds, the database's clock
);

-- What happened to a job, in order: read by whoever follows the job's progress, on any
-- replica, and caught up from the last one they saw.
CREATE TABLE job_events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    job_id INTEGER NOT NULL REFERENCES jobs(id),
    idx INTEGER                         -- the operation that changed; NULL: the job's progress
);
CREATE INDEX job_events_job ON job_events(job_id, id);
