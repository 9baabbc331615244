INSERT INTO queues (name, paused, changed_at) VALUES (:name, :paused, :now)
ON CONFLICT (name) DO UPDATE SET paused = excluded.paused, changed_at = excluded.changed_at
WHERE queues.paused != excluded.paused
RETURNING name
