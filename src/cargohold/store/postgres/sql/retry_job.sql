WITH again AS (
    UPDATE jobs
    SET state = 'queued', attempt = 0, crashes = 0, memory_kills = 0, run_at = %(now)s,
        finished_at = NULL, started_at = NULL,
        error = NULL, traceback = NULL, result = NULL, cancel_requested = false,
        worker_id = NULL, lease_token = NULL, lease_expires_at = NULL
    WHERE id = %(job_id)s AND state IN ('failed', 'cancelled')
    RETURNING id, queue
),
logged AS (
    INSERT INTO events (job_id, at, kind, state, attempt)
    SELECT id, %(now)s, 'retried', 'queued', 0 FROM again
)
SELECT queue FROM again
