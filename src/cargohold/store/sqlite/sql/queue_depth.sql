SELECT count(*) AS n FROM jobs INDEXED BY jobs_ready_by_queue
WHERE queue = :queue AND state IN ('queued', 'scheduled')
