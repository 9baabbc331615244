UPDATE jobs
SET lease_expires_at = %(now)s::float8 + %(lease)s::float8
WHERE worker_id = %(worker_id)s AND state = 'running'
  AND lease_token = ANY(%(tokens)s::text[])
RETURNING id, cancel_requested
