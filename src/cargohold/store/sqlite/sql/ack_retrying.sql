UPDATE jobs
SET peak_memory = coalesce(:peak, peak_memory),
    crashes = crashes + :crashed,
    state = CASE WHEN :run_at > :now THEN 'scheduled' ELSE 'queued' END,
    run_at = :run_at, error = :error, traceback = :traceback,
    finished_at = :now, worker_id = NULL, lease_expires_at = NULL
WHERE id = :job_id AND lease_token = :lease_token AND state = 'running'
RETURNING attempt
