INSERT INTO rate_grants (name, key, at, expires_at) VALUES (:name, :key, :at, :at + :period)
