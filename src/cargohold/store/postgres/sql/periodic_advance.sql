UPDATE periodic SET last_slot = %(slot)s, updated_at = %(now)s
WHERE name = %(name)s AND last_slot < %(slot)s::float8
RETURNING name
