-- Flow control: concurrency limits, rate limits, queue pauses, periodic jobs, wait deadlines.

-- The limits a job holds a slot of while it runs, and the rates it draws a grant from before
-- it starts: JSON lists of [name, key] pairs (key '' when the limit is not per key).
ALTER TABLE jobs ADD COLUMN limits TEXT;

ALTER TABLE jobs ADD COLUMN rates TEXT;

-- Seconds a job may wait, once ready (run_at), before it is cancelled instead of started.
ALTER TABLE jobs ADD COLUMN wait_timeout REAL;

CREATE INDEX jobs_wait_deadline ON jobs (run_at + wait_timeout)
    WHERE wait_timeout IS NOT NULL AND state IN ('queued', 'scheduled');

-- One row per slot held: by a running job (token = its lease token) or by code in a
-- `with app.limit(...)` block. A slot whose lease expired is free, whoever still has its row.
CREATE TABLE limit_slots (
    token TEXT NOT NULL,
    name TEXT NOT NULL,
    key TEXT NOT NULL,
    capacity INTEGER NOT NULL,
    job_id TEXT,
    holder TEXT NOT NULL,
    acquired_at REAL NOT NULL,
    expires_at REAL NOT NULL,
    PRIMARY KEY (token, name, key)
);

CREATE INDEX limit_slots_held ON limit_slots (name, key, expires_at);

-- The sliding log of a rate limit: one row per grant, deleted once out of every window.
CREATE TABLE rate_grants (
    name TEXT NOT NULL,
    key TEXT NOT NULL,
    at REAL NOT NULL,
    expires_at REAL NOT NULL
);

CREATE INDEX rate_grants_window ON rate_grants (name, key, at);

CREATE INDEX rate_grants_expiry ON rate_grants (expires_at);

-- Queues an operator paused: workers claim nothing from them until resumed.
CREATE TABLE queues (
    name TEXT PRIMARY KEY,
    paused INTEGER NOT NULL DEFAULT 0,
    changed_at REAL NOT NULL
);

-- The last firing of each periodic schedule, advanced by compare-and-set.
CREATE TABLE periodic (
    name TEXT PRIMARY KEY,
    last_slot REAL NOT NULL,
    updated_at REAL NOT NULL
);
