UPDATE jobs
SET state = 'cancelled', finished_at = :now,
    error = printf('waited longer than its wait_timeout of %g seconds without starting; '
                   || 'cancelled', wait_timeout)
WHERE id IN (
    SELECT id FROM jobs INDEXED BY jobs_wait_deadline
    WHERE wait_timeout IS NOT NULL AND state IN ('queued', 'scheduled')
      AND run_at + wait_timeout <= :now
)
RETURNING id, attempt, error
