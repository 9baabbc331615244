SELECT * FROM jobs
WHERE (%(states)s::text[] IS NULL OR state = ANY(%(states)s::text[]))
  AND (%(queues)s::text[] IS NULL OR queue = ANY(%(queues)s::text[]))
  AND (%(tasks)s::text[] IS NULL OR task = ANY(%(tasks)s::text[]))
  AND (%(ids)s::text[] IS NULL OR id = ANY(%(ids)s::text[]))
  AND (%(key)s::text IS NULL OR key = %(key)s::text)
  AND (%(created_after)s::float8 IS NULL OR created_at >= %(created_after)s::float8)
  AND (%(created_before)s::float8 IS NULL OR created_at < %(created_before)s::float8)
ORDER BY
  CASE WHEN %(newest_first)s::boolean THEN id END DESC,
  CASE WHEN NOT %(newest_first)s::boolean THEN id END ASC
LIMIT %(limit)s OFFSET %(offset)s
