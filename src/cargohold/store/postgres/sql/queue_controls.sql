SELECT name, paused, changed_at FROM queues ORDER BY name
