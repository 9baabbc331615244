SELECT jobs.*, coalesce(jobs.reservation, s.learned_memory, jobs.memory + :overhead) AS need
FROM jobs LEFT JOIN task_stats s ON s.task = jobs.task
WHERE (:states IS NULL OR jobs.state IN (SELECT value FROM json_each(:states)))
  AND (:queues IS NULL OR jobs.queue IN (SELECT value FROM json_each(:queues)))
  AND (:tasks IS NULL OR jobs.task IN (SELECT value FROM json_each(:tasks)))
  AND (:ids IS NULL OR jobs.id IN (SELECT value FROM json_each(:ids)))
  AND (:key IS NULL OR jobs.key = :key)
  AND (:created_after IS NULL OR jobs.created_at >= :created_after)
  AND (:created_before IS NULL OR jobs.created_at < :created_before)
ORDER BY jobs.id DESC
LIMIT :limit OFFSET :offset
