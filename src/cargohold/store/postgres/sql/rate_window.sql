SELECT at FROM rate_grants
WHERE name = %(name)s AND key = %(key)s AND at >= %(since)s::float8
ORDER BY at DESC
LIMIT %(limit)s
