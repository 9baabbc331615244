SELECT * FROM task_stats ORDER BY task
