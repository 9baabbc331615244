-- The first job in line whose limits each have a free slot, for a claim with no memory offer
-- (one with an offer reads the line in windows: claim_window.sql).
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
WHERE id = (
    SELECT j.id FROM jobs j INDEXED BY jobs_ready
    WHERE j.state IN ('queued', 'scheduled') AND j.run_at <= :now
      AND (:queues IS NULL OR j.queue IN (SELECT value FROM json_each(:queues)))
      AND j.queue NOT IN (SELECT name FROM queues WHERE paused)
      AND (j.wait_timeout IS NULL OR j.run_at + j.wait_timeout > :now)
      AND (j.limits IS NULL OR NOT EXISTS (
            SELECT 1 FROM json_each(j.limits) l
            WHERE (SELECT count(*) FROM limit_slots h
                   WHERE h.name = json_extract(l.value, '$[0]')
                     AND h.key = json_extract(l.value, '$[1]') AND h.expires_at > :now)
                  >= coalesce((SELECT json_extract(c.value, '$[1]') FROM json_each(:limits) c
                               WHERE json_extract(c.value, '$[0]') = json_extract(l.value, '$[0]')),
                              0)))
    ORDER BY j.priority DESC, j.run_at, j.id
    LIMIT 1
)
RETURNING id, task, queue, args, attempt, max_attempts, crashes, memory_kills, lease_token,
    timeout, limits, rates, coalesce(jobs.reservation, (SELECT learned_memory FROM task_stats WHERE task = jobs.task),
        jobs.memory + :overhead) AS need
