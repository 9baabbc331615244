UPDATE jobs SET cancel_requested = 1
WHERE id = :job_id AND state = 'running'
RETURNING attempt, lease_token, worker_id
