UPDATE jobs
SET lease_expires_at = :now + :lease
WHERE worker_id = :worker_id AND state = 'running'
  AND lease_token IN (SELECT value FROM json_each(:tokens))
RETURNING id, cancel_requested
