-- Per named queue, the first `limit` ready jobs in claim order (read from jobs_ready_by_queue,
-- stopping after `limit`); then the best `limit` of those few. Never sorts a whole queue.
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
    SELECT j.id FROM json_each(:queues) AS q
    JOIN jobs AS j ON j.id IN (
        SELECT id FROM jobs INDEXED BY jobs_ready_by_queue
        WHERE queue = q.value AND state IN ('queued', 'scheduled') AND run_at <= :now
          AND limits IS NULL AND (wait_timeout IS NULL OR run_at + wait_timeout > :now)
        ORDER BY priority DESC, run_at, id
        LIMIT :limit
    )
    WHERE q.value NOT IN (SELECT name FROM queues WHERE paused)
    ORDER BY j.priority DESC, j.run_at, j.id
    LIMIT :limit
)
RETURNING id, task, queue, args, attempt, max_attempts, crashes, memory_kills, lease_token,
    timeout, limits, rates, coalesce(jobs.reservation, (SELECT learned_memory FROM task_stats WHERE task = jobs.task),
        jobs.memory + :overhead) AS need
