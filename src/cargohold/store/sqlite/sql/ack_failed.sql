UPDATE jobs
SET peak_memory = coalesce(:peak, peak_memory),
    crashes = crashes + :crashed,
    state = 'failed', error = :error, traceback = :traceback,
    finished_at = :now, lease_expires_at = NULL
WHERE id = :job_id AND lease_token = :lease_token AND state = 'running'
RETURNING attempt
