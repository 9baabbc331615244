WITH acked AS (
    UPDATE jobs
    SET state = CASE WHEN %(run_at)s::float8 > %(now)s::float8 THEN 'scheduled' ELSE 'queued' END,
        run_at = %(run_at)s, attempt = attempt - 1, memory_kills = memory_kills + 1,
        reservation = %(reservation)s, error = %(error)s,
        finished_at = %(now)s, worker_id = NULL, lease_expires_at = NULL,
        peak_memory = coalesce(%(peak_memory)s::bigint, peak_memory)
    WHERE id = %(job_id)s AND lease_token = %(lease_token)s AND state = 'running'
    RETURNING id, state, attempt, queue, task, started_at
),
logged AS (
    INSERT INTO events (job_id, at, kind, state, attempt, lease_token, worker_id, reason)
    SELECT id, %(now)s, %(kind)s, state, attempt, %(lease_token)s, %(worker_id)s, %(reason)s::text
    FROM acked
)
SELECT state, queue, task, started_at FROM acked
