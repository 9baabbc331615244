INSERT INTO rate_grants (name, key, at, expires_at)
VALUES (%(name)s, %(key)s, %(at)s, %(at)s::float8 + %(period)s::float8)
