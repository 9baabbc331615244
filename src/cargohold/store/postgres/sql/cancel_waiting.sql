WITH stopped AS (
    UPDATE jobs
    SET state = 'cancelled', error = %(reason)s, finished_at = %(now)s
    WHERE id = %(job_id)s AND state IN ('queued', 'scheduled')
    RETURNING id, attempt
),
logged AS (
    INSERT INTO events (job_id, at, kind, state, attempt, reason)
    SELECT id, %(now)s, 'cancelled', 'cancelled', attempt, %(reason)s FROM stopped
)
SELECT id FROM stopped
