SELECT j.id, coalesce(j.reservation, s.learned_memory, j.memory + %(overhead)s::bigint) AS need
FROM jobs j LEFT JOIN task_stats s ON s.task = j.task
WHERE j.state IN ('queued', 'scheduled') AND j.run_at <= %(now)s::float8
  AND (%(queues)s::text[] IS NULL OR j.queue = ANY(%(queues)s::text[]))
ORDER BY j.priority DESC, j.run_at, j.id
LIMIT 1
