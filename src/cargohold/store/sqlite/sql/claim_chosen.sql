UPDATE jobs
SET state = 'running',
    attempt = attempt + 1,
    lease_token = lower(hex(randomblob(8))),
    lease_expires_at = :now + :lease,
    worker_id = :worker_id,
    started_at = :now,
    finished_at = NULL,
    progress_current = NULL,
    progress_total = NULL,
    progress_message = NULL
WHERE id IN (SELECT value FROM json_each(:ids))
RETURNING id, task, queue, args, attempt, max_attempts, crashes, memory_kills, lease_token,
    timeout, limits, rates, coalesce(jobs.reservation, (SELECT learned_memory FROM task_stats WHERE task = jobs.task),
        jobs.memory + :overhead) AS need
