UPDATE jobs
SET peak_memory = coalesce(:peak, peak_memory),
    state = 'queued', attempt = attempt - 1, started_at = NULL,
    worker_id = NULL, lease_expires_at = NULL
WHERE id = :job_id AND lease_token = :lease_token AND state = 'running'
RETURNING attempt
