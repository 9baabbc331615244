SELECT j.id, coalesce(j.reservation, s.learned_memory, j.memory + %(overhead)s::bigint) AS need
FROM jobs j LEFT JOIN task_stats s ON s.task = j.task
WHERE j.state IN ('queued', 'scheduled') AND j.run_at <= %(now)s::float8
  AND (%(queues)s::text[] IS NULL OR j.queue = ANY(%(queues)s::text[]))
  AND j.queue NOT IN (SELECT name FROM queues WHERE paused)
  AND (j.wait_timeout IS NULL OR j.run_at + j.wait_timeout > %(now)s::float8)
  AND (j.limits IS NULL OR NOT EXISTS (
            SELECT 1 FROM jsonb_array_elements(j.limits) l
            WHERE (SELECT count(*) FROM limit_slots h
                   WHERE h.name = l.value ->> 0 AND h.key = l.value ->> 1
                     AND h.expires_at > %(now)s::float8)
                  >= coalesce((SELECT (c.value ->> 1)::integer
                               FROM jsonb_array_elements(%(limits)s::jsonb) c
                               WHERE c.value ->> 0 = l.value ->> 0), 0)))
ORDER BY j.priority DESC, j.run_at, j.id
LIMIT 1
