SELECT id FROM jobs
WHERE id = %(id)s OR key = %(key)s::text
ORDER BY id = %(id)s DESC
LIMIT 1
