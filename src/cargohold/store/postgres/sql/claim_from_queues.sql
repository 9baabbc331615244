WITH ready AS (
    SELECT id FROM jobs
    WHERE state IN ('queued', 'scheduled') AND run_at <= %(now)s::float8 AND limits IS NULL
      AND queue NOT IN (SELECT name FROM queues WHERE paused)
      AND (wait_timeout IS NULL OR run_at + wait_timeout > %(now)s::float8)
      AND queue = ANY(%(queues)s::text[])
    ORDER BY priority DESC, run_at, id
    LIMIT %(limit)s
    FOR UPDATE SKIP LOCKED
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
              jobs.crashes, jobs.memory_kills, jobs.lease_token, jobs.timeout,
              jobs.limits, jobs.rates,
              coalesce(jobs.reservation,
                       (SELECT learned_memory FROM task_stats s WHERE s.task = jobs.task),
                       jobs.memory + %(overhead)s::bigint) AS need
),
logged AS (
    INSERT INTO events (job_id, at, kind, state, attempt, lease_token, worker_id)
    SELECT id, %(now)s, 'claimed', 'running', attempt, lease_token, %(worker_id)s FROM claimed
)
SELECT * FROM claimed
