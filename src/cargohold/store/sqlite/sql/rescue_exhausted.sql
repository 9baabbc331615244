UPDATE jobs
SET state = 'failed',
    error = 'worker lost (lease expired) during the last allowed attempt',
    finished_at = :now, lease_expires_at = NULL
WHERE state = 'running' AND lease_expires_at < :now AND attempt >= max_attempts
RETURNING id, attempt, lease_token, worker_id
