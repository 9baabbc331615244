UPDATE workers SET last_seen = %(now)s WHERE id = %(id)s
