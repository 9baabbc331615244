WITH lost AS (
    UPDATE jobs
    SET state = 'queued', run_at = %(now)s, worker_id = NULL, lease_expires_at = NULL,
        error = 'worker lost (lease expired); attempt counted'
    WHERE state = 'running' AND lease_expires_at < %(now)s::float8
    RETURNING id, attempt, lease_token, queue
),
logged AS (
    INSERT INTO events (job_id, at, kind, state, attempt, lease_token, worker_id, reason)
    SELECT id, %(now)s, 'rescued', 'queued', attempt, lease_token, %(rescuer)s, 'lease expired'
    FROM lost
)
SELECT id, queue FROM lost
