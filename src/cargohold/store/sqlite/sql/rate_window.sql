SELECT at FROM rate_grants
WHERE name = :name AND key = :key AND at >= :since
ORDER BY at DESC
LIMIT :limit
