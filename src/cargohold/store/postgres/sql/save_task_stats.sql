UPDATE task_stats
SET peaks = %(peaks)s::bigint[], durations = %(durations)s::float8[],
    learned_memory = %(learned_memory)s, updated_at = %(now)s
WHERE task = %(task)s
