-- One row Roster rewrites to find out whether its storage can be written again after a
-- failure (a full disk), when no change is waiting to test it.
CREATE TABLE storage_probe (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    at INTEGER NOT NULL               -- Unix milliseconds
);
