-- Write new jobs, given as one JSON array with an array of column values per job (see
-- producing.py: one parameter, as quick to send as it gets); a job whose id or key is taken
-- is not written. Each job written records its event, and the queues that got a ready job
-- wake their idle workers when the transaction commits.
-- One row comes back: the ids of the jobs not written (the caller finds the jobs holding
-- them), most often none, which is quicker to read than a row per job written.
WITH given AS MATERIALIZED (
    SELECT j, place FROM jsonb_array_elements(%(jobs)s::jsonb) WITH ORDINALITY AS n (j, place)
),
inserted AS (
    INSERT INTO jobs (
        id, task, queue, state, priority, args, key, max_attempts, run_at, created_at, timeout,
        memory, limits, rates, wait_timeout
    )
    SELECT j ->> 0, j ->> 1, j ->> 2,
           CASE WHEN (j ->> 7)::float8 > %(now)s::float8 THEN 'scheduled' ELSE 'queued' END,
           (j ->> 3)::integer, j ->> 4, j ->> 5, (j ->> 6)::integer, (j ->> 7)::float8, %(now)s,
           (j ->> 8)::float8, (j ->> 9)::bigint, (j ->> 10)::jsonb, (j ->> 11)::jsonb,
           (j ->> 12)::float8
    FROM given
    ORDER BY place
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
SELECT (SELECT count(*) FROM woken) AS woken,
       ARRAY(SELECT j ->> 0 FROM given WHERE j ->> 0 NOT IN (SELECT id FROM inserted))
           AS not_written
