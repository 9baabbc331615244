DELETE FROM limit_slots WHERE token IN (SELECT value FROM json_each(:tokens))
