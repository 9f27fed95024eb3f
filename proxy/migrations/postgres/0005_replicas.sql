-- Who runs each job: a lease that expires unless its owner renews it, and a term that grows
-- at each takeover. Every write the owner makes carries its term, so an owner that lost
-- its lease writes nothing more.
ALTER TABLE jobs ADD COLUMN owner TEXT;
ALTER TABLE jobs ADD COLUMN term BIGINT NOT NULL DEFAULT 0;
ALTER TABLE jobs ADD COLUMN lease_until BIGINT;  -- Unix milliseconds, the database's clock

-- Leases of work one replica does for all (the directory sync).
CREATE TABLE leases (
    name TEXT PRIMARY KEY,
    owner TEXT,
    term BIGINT NOT NULL DEFAULT 0,
    expires_at BIGINT NOT NULL DEFAULT 0   -- Unix milliseconds, the database's clock
);

-- What happened to a job, in order: read by whoever follows the job's progress, on any
-- replica, and caught up from the last one they saw.
CREATE TABLE job_events (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    job_id BIGINT NOT NULL REFERENCES jobs(id),
    idx BIGINT                          -- the operation that changed; NULL: the job's progress
);
CREATE INDEX job_events_job ON job_events(job_id, id);
