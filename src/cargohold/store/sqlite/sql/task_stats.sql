SELECT * FROM task_stats WHERE task = :task
