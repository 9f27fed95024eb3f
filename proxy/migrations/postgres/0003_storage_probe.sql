-- One row Roster rewrites to find out whether its database takes writes again after a
-- failure, when no change is waiting to test it.
CREATE TABLE storage_probe (
    id BIGINT PRIMARY KEY CHECK (id = 1),
    at BIGINT NOT NULL               -- Unix milliseconds
);
