SELECT max(at) AS at FROM rate_grants WHERE name = :name AND key = :key
