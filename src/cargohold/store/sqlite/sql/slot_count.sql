SELECT count(*) AS n FROM limit_slots
WHERE name = :name AND key = :key AND expires_at > :now
