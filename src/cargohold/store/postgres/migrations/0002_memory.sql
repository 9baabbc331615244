-- Memory admission: what a job declared, what it was given after a memory kill, what it used.
ALTER TABLE jobs
    ADD COLUMN memory bigint,
    ADD COLUMN reservation bigint,
    ADD COLUMN peak_memory bigint,
    ADD COLUMN memory_kills integer NOT NULL DEFAULT 0;

-- What finished jobs taught about their task: recent peaks and durations, newest last.
CREATE TABLE task_stats (
    task text PRIMARY KEY,
    peaks bigint[] NOT NULL DEFAULT '{}',
    durations double precision[] NOT NULL DEFAULT '{}',
    learned_memory bigint,
    updated_at double precision NOT NULL
);

ALTER TABLE workers
    ADD COLUMN memory_budget bigint,
    ADD COLUMN memory_free bigint;
