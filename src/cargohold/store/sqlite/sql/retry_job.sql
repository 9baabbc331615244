UPDATE jobs
SET state = 'queued', attempt = 0, crashes = 0, memory_kills = 0, run_at = :now, finished_at = NULL, started_at = NULL,
    error = NULL, traceback = NULL, result = NULL, cancel_requested = 0,
    worker_id = NULL, lease_token = NULL, lease_expires_at = NULL
WHERE id = :job_id AND state IN ('failed', 'cancelled')
RETURNING attempt
