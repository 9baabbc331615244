WITH acked AS (
    UPDATE jobs
    SET state = 'succeeded', result = %(result)s, error = NULL, traceback = NULL,
        finished_at = %(now)s, lease_expires_at = NULL,
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
