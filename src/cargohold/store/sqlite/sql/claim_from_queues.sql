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
WHERE id IN (
    SELECT id FROM jobs INDEXED BY jobs_ready_by_queue
    WHERE state IN ('queued', 'scheduled') AND run_at <= :now AND limits IS NULL
      AND queue NOT IN (SELECT name FROM queues WHERE paused)
      AND (wait_timeout IS NULL OR run_at + wait_timeout > :now)
      AND queue IN (SELECT value FROM json_each(:queues))
    ORDER BY priority DESC, run_at, id
    LIMIT :limit
)
RETURNING id, task, queue, args, attempt, max_attempts, crashes, memory_kills, lease_token,
    timeout, limits, rates, coalesce(jobs.reservation, (SELECT learned_memory FROM task_stats WHERE task = jobs.task),
        jobs.memory + :overhead) AS need
