-- Which Roster binaries can use this schema: the oldest migration a binary must know.
-- A migration that an older binary could not live with (a column it writes is dropped,
-- say) sets this to its own version; an additive one leaves it, so that during a rolling
-- upgrade the older replicas keep serving beside the newer ones (and may restart).
CREATE TABLE roster_schema (
    id BIGINT PRIMARY KEY CHECK (id = 1),
    oldest_binary BIGINT NOT NULL
);
INSERT INTO roster_schema (id, oldest_binary) VALUES (1, 1);
