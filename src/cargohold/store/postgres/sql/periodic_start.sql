INSERT INTO periodic (name, last_slot, updated_at) VALUES (%(name)s, %(slot)s, %(now)s)
ON CONFLICT (name) DO NOTHING
