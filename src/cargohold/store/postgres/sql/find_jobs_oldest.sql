SELECT jobs.*,
       coalesce(jobs.reservation, s.learned_memory, jobs.memory + %(overhead)s::bigint) AS need
FROM jobs LEFT JOIN task_stats s ON s.task = jobs.task
WHERE (%(states)s::text[] IS NULL OR jobs.state = ANY(%(states)s::text[]))
  AND (%(queues)s::text[] IS NULL OR jobs.queue = ANY(%(queues)s::text[]))
  AND (%(tasks)s::text[] IS NULL OR jobs.task = ANY(%(tasks)s::text[]))
  AND (%(ids)s::text[] IS NULL OR jobs.id = ANY(%(ids)s::text[]))
  AND (%(key)s::text IS NULL OR jobs.key = %(key)s::text)
  AND (%(created_after)s::float8 IS NULL OR jobs.created_at >= %(created_after)s::float8)
  AND (%(created_before)s::float8 IS NULL OR jobs.created_at < %(created_before)s::float8)
ORDER BY jobs.id ASC
LIMIT %(limit)s OFFSET %(offset)s
