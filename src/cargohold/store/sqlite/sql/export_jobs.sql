SELECT jobs.*, coalesce(jobs.reservation, s.learned_memory, jobs.memory + :overhead) AS need
FROM jobs LEFT JOIN task_stats s ON s.task = jobs.task
WHERE jobs.id > :after
ORDER BY jobs.id
LIMIT :limit
