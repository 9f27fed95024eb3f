-- Slack's pace, shared by every replica: one token bucket per (method, workspace) and one
-- budget per person, counted with the database's clock. A 429 seen by one replica holds
-- every replica back on that bucket until its Retry-After.
CREATE TABLE slack_buckets (
    method TEXT NOT NULL,
    workspace TEXT NOT NULL,
    tokens DOUBLE PRECISION NOT NULL,
    last_ms BIGINT NOT NULL,             -- refill counted from here
    blocked_until_ms BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (method, workspace)
);

CREATE TABLE slack_budgets (
    who TEXT NOT NULL,                   -- a person's address, lowercased
    kind TEXT NOT NULL,                  -- changes, reads
    units DOUBLE PRECISION NOT NULL,
    last_ms BIGINT NOT NULL,
    PRIMARY KEY (who, kind)
);
