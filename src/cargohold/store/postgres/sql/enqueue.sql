-- Write new jobs, given as one JSON array with an array of column values per job (see
-- producing.py: one parameter, as quick to send as it gets); a job whose id or key is taken
-- is not written (the caller then finds the job holding it). Each job written records its event,
-- and the queues that got a ready job wake their idle workers when the transaction commits
-- (`woken` runs once, for the first row returned: no row, no ready job).
WITH inserted AS (
    INSERT INTO jobs (
        id, task, queue, state, priority, args, key, max_attempts, run_at, created_at, timeout,
        memory, limits, rates, wait_timeout
    )
    SELECT j ->> 0, j ->> 1, j ->> 2,
           CASE WHEN (j ->> 7)::float8 > %(now)s::float8 THEN 'scheduled' ELSE 'queued' END,
           (j ->> 3)::integer, j ->> 4, j ->> 5, (j ->> 6)::integer, (j ->> 7)::float8, %(now)s,
           (j ->> 8)::float8, (j ->> 9)::bigint, (j ->> 10)::jsonb, (j ->> 11)::jsonb,
           (j ->> 12)::float8
    FROM jsonb_array_elements(%(jobs)s::jsonb) WITH ORDINALITY AS n (j, place)
    ORDER BY n.place
    ON CONFLICT DO NOTHING
    RETURNING id, state, queue
),
logged AS (
    INSERT INTO events (job_id, at, kind, state, attempt)
    SELECT id, %(now)s, 'enqueued', state, 0 FROM inserted
),
woken AS (
    SELECT pg_notify('cargohold', queue) FROM inserted WHERE state = 'queued' GROUP BY queue
)
SELECT id, state, (SELECT count(*) FROM woken) AS woken FROM inserted
