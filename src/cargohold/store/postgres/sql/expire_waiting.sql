WITH expired AS (
    UPDATE jobs
    SET state = 'cancelled', finished_at = %(now)s,
        error = 'waited longer than its wait_timeout of ' || wait_timeout::text
                || ' seconds without starting; cancelled'
    WHERE wait_timeout IS NOT NULL AND state IN ('queued', 'scheduled')
      AND run_at + wait_timeout <= %(now)s::float8
    RETURNING id, attempt, error
),
logged AS (
    INSERT INTO events (job_id, at, kind, state, attempt, worker_id, reason)
    SELECT id, %(now)s, 'expired', 'cancelled', attempt, %(rescuer)s, error FROM expired
)
SELECT id FROM expired
