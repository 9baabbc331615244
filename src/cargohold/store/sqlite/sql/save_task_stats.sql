INSERT INTO task_stats (task, peaks, durations, learned_memory, updated_at)
VALUES (:task, :peaks, :durations, :learned_memory, :now)
ON CONFLICT (task) DO UPDATE SET
    peaks = excluded.peaks, durations = excluded.durations,
    learned_memory = excluded.learned_memory, updated_at = excluded.updated_at
