DELETE FROM rate_grants WHERE name = %(name)s AND key = %(key)s AND at < %(since)s::float8
