UPDATE jobs
SET lease_expires_at = :now + :lease
WHERE worker_id = :worker_id AND state = 'running'
RETURNING id, cancel_requested
