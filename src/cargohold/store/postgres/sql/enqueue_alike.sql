-- Write new jobs that differ only in their ids and arguments (a bulk enqueue of one task):
-- the ids as one comma-separated string, the arguments as one JSON array of strings, and
-- every other column once. A fresh batch only (see producing.py): none has a key, and no
-- earlier try of this call may have written them, so every job is written. Each job
-- written records its event, and its queue wakes its idle workers when the transaction
-- commits. One row comes back, as from enqueue.sql: nothing was left unwritten.
WITH inserted AS (
    INSERT INTO jobs (
        id, task, queue, state, priority, args, max_attempts, run_at, created_at, timeout,
        memory, limits, rates, wait_timeout
    )
    SELECT given.id, %(task)s, %(queue)s,
           CASE WHEN %(run_at)s::float8 > %(now)s::float8 THEN 'scheduled' ELSE 'queued' END,
           %(priority)s, given.args, %(max_attempts)s, %(run_at)s, %(now)s, %(timeout)s,
           %(memory)s, %(limits)s::jsonb, %(rates)s::jsonb, %(wait_timeout)s
    FROM unnest(
        string_to_array(%(ids)s::text, ','),
        ARRAY(SELECT a.args FROM jsonb_array_elements_text(%(args)s::jsonb)
              WITH ORDINALITY AS a (args, place) ORDER BY a.place)
    ) AS given (id, args)
    RETURNING id, state, queue
),
logged AS (
    INSERT INTO events (job_id, at, kind, state, attempt)
    SELECT id, %(now)s, 'enqueued', state, 0 FROM inserted
),
woken AS (
    SELECT pg_notify('cargohold', queue) FROM inserted WHERE state = 'queued' GROUP BY queue
)
SELECT (SELECT count(*) FROM woken) AS woken, ARRAY[]::text[] AS not_written
