INSERT INTO limit_slots (token, name, key, capacity, job_id, holder, acquired_at, expires_at)
VALUES (%(token)s, %(name)s, %(key)s, %(concurrency)s, NULL, %(holder)s, %(now)s,
        %(now)s::float8 + %(lease)s::float8)
ON CONFLICT (token, name, key) DO UPDATE SET expires_at = excluded.expires_at
