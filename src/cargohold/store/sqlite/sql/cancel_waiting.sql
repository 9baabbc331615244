UPDATE jobs
SET state = 'cancelled', error = :reason, finished_at = :now
WHERE id = :job_id AND state IN ('queued', 'scheduled')
RETURNING attempt
