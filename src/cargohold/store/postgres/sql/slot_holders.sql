SELECT token, name, key, capacity, job_id, holder, acquired_at, expires_at FROM limit_slots
WHERE name = %(name)s AND key = %(key)s AND expires_at > %(now)s::float8
ORDER BY acquired_at, token
