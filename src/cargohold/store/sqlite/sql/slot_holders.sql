SELECT token, name, key, capacity, job_id, holder, acquired_at, expires_at FROM limit_slots
WHERE name = :name AND key = :key AND expires_at > :now
ORDER BY acquired_at, token
