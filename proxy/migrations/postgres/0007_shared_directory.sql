-- The directory shared by replicas: one replica (the holder of the `directory-sync` lease)
-- syncs it from Slack and stores each result here, versioned; the others load the newest.
CREATE TABLE directory_snapshots (
    version BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    synced_at BIGINT NOT NULL,           -- Unix seconds, when the sync ended
    started_at BIGINT NOT NULL,          -- Unix seconds, when it began
    changes_through BIGINT NOT NULL,     -- the last replica event the sync had seen
    users BIGINT NOT NULL,
    data BYTEA NOT NULL                  -- gzipped JSON
);

-- What one replica changed that the others must know at once: a person changed through
-- Roster, what it forgot of a person, an invite request answered. Numbered in commit
-- order; each replica applies the others' after the last it applied.
CREATE TABLE replica_events (
    seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at BIGINT NOT NULL,                  -- Unix milliseconds
    origin TEXT NOT NULL,                -- the replica that made it
    event TEXT NOT NULL                  -- JSON
);
