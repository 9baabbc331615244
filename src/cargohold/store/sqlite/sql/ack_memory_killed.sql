UPDATE jobs
SET peak_memory = coalesce(:peak, peak_memory),
    state = CASE WHEN :run_at > :now THEN 'scheduled' ELSE 'queued' END,
    run_at = :run_at, attempt = attempt - 1, memory_kills = memory_kills + 1,
    reservation = :reservation, error = :error,
    finished_at = :now, worker_id = NULL, lease_expires_at = NULL
WHERE id = :job_id AND lease_token = :lease_token AND state = 'running'
RETURNING attempt
