-- Slack's member analytics, as far as Roster keeps them (see proxy/src/seats).
-- The days whose member file is read, in the same transaction as what it said.
CREATE TABLE activity_days (
    day BIGINT PRIMARY KEY,              -- Unix day (seconds / 86400), UTC
    read_at BIGINT NOT NULL,             -- Unix seconds
    rows BIGINT NOT NULL
);
-- Per person and workspace: the first day read that lists them, the last day active (and
-- on which clients), and whether they held a billable seat on the newest day read that
-- lists them.
CREATE TABLE activity_people (
    user_id TEXT NOT NULL,
    team_id TEXT NOT NULL,
    first_seen BIGINT NOT NULL,          -- Unix day
    last_active BIGINT,                  -- Unix day; NULL: not active in any day read
    clients INTEGER NOT NULL DEFAULT 0,  -- on that day: 1 desktop, 2 iOS, 4 Android
    seat_day BIGINT NOT NULL,            -- the newest day read that lists them
    billable BOOLEAN NOT NULL,
    guest BOOLEAN NOT NULL,
    PRIMARY KEY (user_id, team_id)
);
-- Per day and workspace ('' for the org, each person once): active people, billable seats.
CREATE TABLE activity_counts (
    day BIGINT NOT NULL,
    team_id TEXT NOT NULL,
    active BIGINT NOT NULL,
    billable BIGINT NOT NULL,
    PRIMARY KEY (day, team_id)
);
