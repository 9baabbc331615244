INSERT INTO task_stats (task, updated_at)
VALUES (%(task)s, %(now)s)
ON CONFLICT (task) DO UPDATE SET task = excluded.task
RETURNING peaks, durations
