INSERT INTO periodic (name, last_slot, updated_at) VALUES (:name, :slot, :now)
ON CONFLICT (name) DO NOTHING
