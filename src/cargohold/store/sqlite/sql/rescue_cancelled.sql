UPDATE jobs
SET state = 'cancelled', error = 'cancelled on request; its worker was lost before stopping it',
    finished_at = :now, lease_expires_at = NULL
WHERE state = 'running' AND lease_expires_at < :now AND cancel_requested = 1
RETURNING id, attempt, lease_token
