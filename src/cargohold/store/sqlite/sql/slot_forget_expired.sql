DELETE FROM limit_slots WHERE expires_at <= :now
