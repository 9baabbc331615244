INSERT INTO limit_slots (token, name, key, capacity, job_id, holder, acquired_at, expires_at)
VALUES (:token, :name, :key, :concurrency, NULL, :holder, :now, :now + :lease)
ON CONFLICT (token, name, key) DO UPDATE SET expires_at = excluded.expires_at
