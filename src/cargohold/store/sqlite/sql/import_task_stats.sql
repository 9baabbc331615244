-- What the source learned about a task, unless this store has learned about it already.
INSERT INTO task_stats (task, peaks, durations, learned_memory, updated_at)
VALUES (:task, :peaks, :durations, :learned_memory, :now)
ON CONFLICT (task) DO NOTHING
