CREATE TABLE jobs (
    id TEXT PRIMARY KEY,
    task TEXT NOT NULL,
    queue TEXT NOT NULL,
    state TEXT NOT NULL,
    priority INTEGER NOT NULL DEFAULT 0,
    args TEXT NOT NULL,
    key TEXT UNIQUE,
    attempt INTEGER NOT NULL DEFAULT 0,
    max_attempts INTEGER NOT NULL DEFAULT 1,
    crashes INTEGER NOT NULL DEFAULT 0,
    run_at REAL NOT NULL,
    created_at REAL NOT NULL,
    started_at REAL,
    finished_at REAL,
    worker_id TEXT,
    lease_token TEXT,
    lease_expires_at REAL,
    timeout REAL,
    progress_current REAL,
    progress_total REAL,
    progress_message TEXT,
    result TEXT,
    error TEXT,
    traceback TEXT,
    cancel_requested INTEGER NOT NULL DEFAULT 0
);

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
    id INTEGER PRIMARY KEY,
    job_id TEXT NOT NULL,
    at REAL NOT NULL,
    kind TEXT NOT NULL,
    state TEXT NOT NULL,
    attempt INTEGER NOT NULL,
    lease_token TEXT,
    worker_id TEXT,
    reason TEXT
);

CREATE INDEX events_job ON events (job_id, id);

CREATE TABLE workers (
    id TEXT PRIMARY KEY,
    hostname TEXT NOT NULL,
    pid INTEGER NOT NULL,
    queues TEXT,
    concurrency INTEGER NOT NULL,
    started_at REAL NOT NULL,
    last_seen REAL NOT NULL
);
