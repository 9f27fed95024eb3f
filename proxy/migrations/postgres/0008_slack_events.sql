-- Slack's events already applied by some replica, by event_id: a retry that reaches
-- another replica is dropped there. Kept for an hour (Slack retries for about six minutes).
CREATE TABLE slack_events_seen (
    event_id TEXT PRIMARY KEY,
    at BIGINT NOT NULL                   -- Unix seconds
);
CREATE INDEX slack_events_seen_at ON slack_events_seen (at);
