-- Flow control: concurrency limits, rate limits, queue pauses, periodic jobs, wait deadlines.

-- The limits a job holds a slot of while it runs, and the rates it draws a grant from before
-- it starts: JSON lists of [name, key] pairs (key '' when the limit is not per key).
ALTER TABLE jobs
    ADD COLUMN limits jsonb,
    ADD COLUMN rates jsonb,
    ADD COLUMN wait_timeout double precision;

-- Seconds a job may wait, once ready (run_at), before it is cancelled instead of started.
CREATE INDEX jobs_wait_deadline ON jobs ((run_at + wait_timeout))
    WHERE wait_timeout IS NOT NULL AND state IN ('queued', 'scheduled');

-- One row per slot held: by a running job (token = its lease token) or by code in a
-- `with app.limit(...)` block. A slot whose lease expired is free, whoever still has its row.
CREATE TABLE limit_slots (
    token text NOT NULL,
    name text NOT NULL,
    key text NOT NULL,
    capacity integer NOT NULL,
    job_id text COLLATE "C",
    holder text NOT NULL,
    acquired_at double precision NOT NULL,
    expires_at double precision NOT NULL,
    PRIMARY KEY (token, name, key)
);

CREATE INDEX limit_slots_held ON limit_slots (name, key, expires_at);

-- The sliding log of a rate limit: one row per grant, deleted once out of every window.
CREATE TABLE rate_grants (
    name text NOT NULL,
    key text NOT NULL,
    at double precision NOT NULL,
    expires_at double precision NOT NULL
);

CREATE INDEX rate_grants_window ON rate_grants (name, key, at);

CREATE INDEX rate_grants_expiry ON rate_grants (expires_at);

-- Queues an operator paused: workers claim nothing from them until resumed.
CREATE TABLE queues (
    name text PRIMARY KEY,
    paused boolean NOT NULL DEFAULT false,
    changed_at double precision NOT NULL
);

-- The last firing of each periodic schedule, advanced by compare-and-set.
CREATE TABLE periodic (
    name text PRIMARY KEY,
    last_slot double precision NOT NULL,
    updated_at double precision NOT NULL
);
