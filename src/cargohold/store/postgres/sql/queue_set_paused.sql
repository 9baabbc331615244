INSERT INTO queues (name, paused, changed_at) VALUES (%(name)s, %(paused)s, %(now)s)
ON CONFLICT (name) DO UPDATE SET paused = excluded.paused, changed_at = excluded.changed_at
WHERE queues.paused IS DISTINCT FROM excluded.paused
RETURNING name
