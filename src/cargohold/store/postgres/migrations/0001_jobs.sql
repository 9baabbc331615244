-- Times are seconds since the epoch on the database clock (double precision), as in SQLite.
-- Ids sort bytewise (COLLATE "C"): a job id is a ULID, so id order is creation order.

CREATE TABLE jobs (
    id text COLLATE "C" PRIMARY KEY,
    task text NOT NULL,
    queue text NOT NULL,
    state text NOT NULL CHECK (
        state IN ('scheduled', 'queued', 'running', 'succeeded', 'failed', 'cancelled')
    ),
    priority integer NOT NULL DEFAULT 0,
    args text NOT NULL,
    key text UNIQUE,
    attempt integer NOT NULL DEFAULT 0,
    max_attempts integer NOT NULL DEFAULT 1,
    crashes integer NOT NULL DEFAULT 0,
    run_at double precision NOT NULL,
    created_at double precision NOT NULL,
    started_at double precision,
    finished_at double precision,
    worker_id text,
    lease_token text,
    lease_expires_at double precision,
    timeout double precision,
    progress_current double precision,
    progress_total double precision,
    progress_message text,
    result text,
    error text,
    traceback text,
    cancel_requested boolean NOT NULL DEFAULT false
);

-- The claim walks this index in claim order and stops after `limit` ready rows.
CREATE INDEX jobs_ready ON jobs (priority DESC, run_at, id)
    WHERE state IN ('queued', 'scheduled');

CREATE INDEX jobs_ready_by_queue ON jobs (queue, priority DESC, run_at, id)
    WHERE state IN ('queued', 'scheduled');

CREATE INDEX jobs_scheduled ON jobs (run_at) WHERE state = 'scheduled';

CREATE INDEX jobs_lease ON jobs (lease_expires_at) WHERE state = 'running';

CREATE INDEX jobs_worker ON jobs (worker_id) WHERE state = 'running';

CREATE INDEX jobs_state ON jobs (state, id);

CREATE INDEX jobs_finished ON jobs (state, finished_at)
    WHERE state IN ('succeeded', 'failed', 'cancelled');

CREATE TABLE events (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    job_id text COLLATE "C" NOT NULL,
    at double precision NOT NULL,
    kind text NOT NULL,
    state text NOT NULL,
    attempt integer NOT NULL,
    lease_token text,
    worker_id text,
    reason text
);

CREATE INDEX events_job ON events (job_id, id);

CREATE TABLE workers (
    id text PRIMARY KEY,
    hostname text NOT NULL,
    pid integer NOT NULL,
    queues text[],
    concurrency integer NOT NULL,
    started_at double precision NOT NULL,
    last_seen double precision NOT NULL
);
