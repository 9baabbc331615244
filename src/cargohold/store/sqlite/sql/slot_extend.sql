UPDATE limit_slots
SET expires_at = :now + :lease
WHERE token IN (SELECT value FROM json_each(:tokens)) AND expires_at > :now
RETURNING token
