SELECT max(at) AS at FROM rate_grants WHERE name = %(name)s AND key = %(key)s
