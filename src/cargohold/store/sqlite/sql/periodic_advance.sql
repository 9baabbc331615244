UPDATE periodic SET last_slot = :slot, updated_at = :now
WHERE name = :name AND last_slot < :slot
RETURNING name
