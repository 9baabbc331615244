WITH asked AS (
    UPDATE jobs SET cancel_requested = true
    WHERE id = %(job_id)s AND state = 'running'
    RETURNING id, attempt, lease_token, worker_id
),
logged AS (
    INSERT INTO events (job_id, at, kind, state, attempt, lease_token, worker_id, reason)
    SELECT id, %(now)s, 'cancel_requested', 'running', attempt, lease_token, worker_id, %(reason)s
    FROM asked
)
SELECT id FROM asked
