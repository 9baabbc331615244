DELETE FROM limit_slots WHERE token = ANY(%(tokens)s::text[])
