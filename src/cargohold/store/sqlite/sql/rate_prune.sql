DELETE FROM rate_grants WHERE name = :name AND key = :key AND at < :since
