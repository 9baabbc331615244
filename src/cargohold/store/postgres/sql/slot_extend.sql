UPDATE limit_slots
SET expires_at = %(now)s::float8 + %(lease)s::float8
WHERE token = ANY(%(tokens)s::text[]) AND expires_at > %(now)s::float8
RETURNING token
