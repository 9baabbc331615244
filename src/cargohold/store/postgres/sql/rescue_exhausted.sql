WITH lost AS (
    UPDATE jobs
    SET state = 'failed',
        error = 'worker lost (lease expired) during the last allowed attempt',
        finished_at = %(now)s, lease_expires_at = NULL
    WHERE state = 'running' AND lease_expires_at < %(now)s::float8 AND attempt >= max_attempts
    RETURNING id, attempt, lease_token
),
logged AS (
    INSERT INTO events (job_id, at, kind, state, attempt, lease_token, worker_id, reason)
    SELECT id, %(now)s, 'failed', 'failed', attempt, lease_token, %(rescuer)s, 'lease expired'
    FROM lost
)
SELECT id FROM lost
