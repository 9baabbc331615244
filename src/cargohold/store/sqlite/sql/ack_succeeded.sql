UPDATE jobs
SET peak_memory = coalesce(:peak, peak_memory),
    state = 'succeeded', result = :result, error = NULL, traceback = NULL,
    finished_at = :now, lease_expires_at = NULL
WHERE id = :job_id AND lease_token = :lease_token AND state = 'running'
RETURNING attempt, task, started_at
