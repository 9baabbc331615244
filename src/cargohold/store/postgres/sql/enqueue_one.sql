-- Write one job, given as plain typed parameters (what a single `task.enqueue()` sends: the
-- jsonb array of enqueue.sql costs the server more to unpack than the job costs to write).
-- A job whose id or key is taken is not written. A job written records its event, and wakes
-- the idle workers of its queue when the transaction commits if it is ready.
-- A row comes back if and only if the job was written.
WITH inserted AS (
    INSERT INTO jobs (
        id, task, queue, state, priority, args, key, max_attempts, run_at, created_at, timeout,
        memory, limits, rates, wait_timeout
    )
    VALUES (
        %(id)s, %(task)s, %(queue)s,
        CASE WHEN %(run_at)s::float8 > %(now)s::float8 THEN 'scheduled' ELSE 'queued' END,
        %(priority)s, %(args)s, %(key)s, %(max_attempts)s, %(run_at)s, %(now)s, %(timeout)s,
        %(memory)s, %(limits)s::jsonb, %(rates)s::jsonb, %(wait_timeout)s
    )
    ON CONFLICT DO NOTHING
    RETURNING id, state, queue
),
logged AS (
    INSERT INTO events (job_id, at, kind, state, attempt)
    SELECT id, %(now)s, 'enqueued', state, 0 FROM inserted
)
SELECT CASE WHEN state = 'queued' THEN pg_notify('cargohold', queue) END FROM inserted
