SELECT j.id, coalesce(j.reservation, s.learned_memory, j.memory + :overhead) AS need
FROM jobs j INDEXED BY jobs_ready
LEFT JOIN task_stats s ON s.task = j.task
WHERE j.state IN ('queued', 'scheduled') AND j.run_at <= :now
  AND (:queues IS NULL OR j.queue IN (SELECT value FROM json_each(:queues)))
ORDER BY j.priority DESC, j.run_at, j.id
LIMIT 1
