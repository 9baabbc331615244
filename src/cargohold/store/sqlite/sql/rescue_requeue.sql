UPDATE jobs
SET state = 'queued', run_at = :now, worker_id = NULL, lease_expires_at = NULL,
    error = 'worker lost (lease expired); attempt counted'
WHERE state = 'running' AND lease_expires_at < :now
RETURNING id, attempt, lease_token, :rescuer AS worker_id
