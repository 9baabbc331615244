-- What successful runs taught about their tasks (locked by ack_succeeded): one JSON object
-- per task.
UPDATE task_stats
SET peaks = learned.peaks, durations = learned.durations,
    learned_memory = learned.learned_memory, updated_at = %(now)s
FROM jsonb_to_recordset(%(learned)s::jsonb)
     AS learned (task text, peaks bigint[], durations float8[], learned_memory bigint)
WHERE task_stats.task = learned.task
