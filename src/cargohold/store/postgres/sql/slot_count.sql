SELECT count(*) AS n FROM limit_slots
WHERE name = %(name)s AND key = %(key)s AND expires_at > %(now)s::float8
