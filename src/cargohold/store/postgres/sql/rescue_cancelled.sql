WITH lost AS (
    UPDATE jobs
    SET state = 'cancelled',
        error = 'cancelled on request; its worker was lost before stopping it',
        finished_at = %(now)s, lease_expires_at = NULL
    WHERE state = 'running' AND lease_expires_at < %(now)s::float8 AND cancel_requested
    RETURNING id, attempt, lease_token
),
logged AS (
    INSERT INTO events (job_id, at, kind, state, attempt, lease_token, worker_id, reason)
    SELECT id, %(now)s, 'cancelled', 'cancelled', attempt, lease_token, %(rescuer)s,
           'lease expired'
    FROM lost
)
SELECT id FROM lost
