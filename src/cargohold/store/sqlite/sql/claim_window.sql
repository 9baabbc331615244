-- A window of the line: the jobs at `offset` to `offset + window` in claim order (under no
-- limit, unless `with_limits`), those of them whose need fits `free`, and how many the window
-- held (fewer than `window`: the line ends within it).
SELECT id, need, limits, in_window FROM (
    SELECT id, priority, run_at, need, limits, count(*) OVER () AS in_window FROM (
        SELECT j.id, j.priority, j.run_at, j.limits,
               coalesce(j.reservation, s.learned_memory, j.memory + :overhead) AS need
        FROM jobs j INDEXED BY jobs_ready
        LEFT JOIN task_stats s ON s.task = j.task
        WHERE j.state IN ('queued', 'scheduled') AND j.run_at <= :now
          AND (:with_limits OR j.limits IS NULL)
          AND (:queues IS NULL OR j.queue IN (SELECT value FROM json_each(:queues)))
          AND j.queue NOT IN (SELECT name FROM queues WHERE paused)
          AND (j.wait_timeout IS NULL OR j.run_at + j.wait_timeout > :now)
        ORDER BY j.priority DESC, j.run_at, j.id
        LIMIT :window OFFSET :offset
    )
)
WHERE coalesce(need, :unknown_need) <= :free
ORDER BY priority DESC, run_at, id
