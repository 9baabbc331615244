-- The first job in line, among the first `horizon` (NULL: all), whose need fits `free` and
-- whose limits have a free slot. The line is walked in claim order from its index, each job
-- looked up (and locked if it is taken) by id, and the walk stops at the first job taken: a
-- claim that finds nothing reads `horizon` jobs at most, whatever the backlog.
WITH ready AS (
    SELECT fit.id, fit.need
    FROM (
        SELECT h.id, h.priority, h.run_at FROM jobs h
        WHERE h.state IN ('queued', 'scheduled') AND h.run_at <= %(now)s::float8
          AND (%(queues)s::text[] IS NULL OR h.queue = ANY(%(queues)s::text[]))
        ORDER BY h.priority DESC, h.run_at, h.id
        LIMIT %(horizon)s::bigint
    ) AS line
    CROSS JOIN LATERAL (
        SELECT j.id,
               coalesce(j.reservation,
                        (SELECT s.learned_memory FROM task_stats s WHERE s.task = j.task),
                        j.memory + %(overhead)s::bigint) AS need
        FROM jobs j
        WHERE j.id = line.id
          AND j.state IN ('queued', 'scheduled') AND j.run_at <= %(now)s::float8
          AND j.queue NOT IN (SELECT name FROM queues WHERE paused)
          AND (j.wait_timeout IS NULL OR j.run_at + j.wait_timeout > %(now)s::float8)
          AND (j.limits IS NULL OR NOT EXISTS (
                SELECT 1 FROM jsonb_array_elements(j.limits) l
                WHERE (SELECT count(*) FROM limit_slots h
                       WHERE h.name = l.value ->> 0 AND h.key = l.value ->> 1
                         AND h.expires_at > %(now)s::float8)
                      >= coalesce((SELECT (c.value ->> 1)::integer
                                   FROM jsonb_array_elements(%(limits)s::jsonb) c
                                   WHERE c.value ->> 0 = l.value ->> 0), 0)))
          AND coalesce(j.reservation,
                       (SELECT s.learned_memory FROM task_stats s WHERE s.task = j.task),
                       j.memory + %(overhead)s::bigint,
                       %(unknown_need)s::bigint) <= %(free)s::bigint
        FOR UPDATE OF j SKIP LOCKED
    ) AS fit
    ORDER BY line.priority DESC, line.run_at, line.id
    LIMIT 1
),
claimed AS (
    UPDATE jobs
    SET state = 'running',
        attempt = jobs.attempt + 1,
        lease_token = %(batch)s || left(replace(gen_random_uuid()::text, '-', ''), 16),
        lease_expires_at = %(now)s::float8 + %(lease)s::float8,
        worker_id = %(worker_id)s,
        started_at = %(now)s,
        finished_at = NULL,
        progress_current = NULL,
        progress_total = NULL,
        progress_message = NULL
    FROM ready
    WHERE jobs.id = ready.id
    RETURNING jobs.id, jobs.task, jobs.queue, jobs.args, jobs.attempt, jobs.max_attempts,
              jobs.crashes, jobs.memory_kills, jobs.lease_token, jobs.timeout, ready.need,
              jobs.limits, jobs.rates
),
logged AS (
    INSERT INTO events (job_id, at, kind, state, attempt, lease_token, worker_id)
    SELECT id, %(now)s, 'claimed', 'running', attempt, lease_token, %(worker_id)s FROM claimed
)
SELECT * FROM claimed
