-- The tasks of the first :limit ready jobs ahead of the job in its queue, read in claim order
-- from the queue's index of ready jobs (the job's own values come from scalar subqueries, so
-- that the index order is the output order and the read stops after :limit rows).
WITH me AS MATERIALIZED (
    SELECT queue, priority, run_at, id FROM jobs
    WHERE id = :job_id AND state IN ('queued', 'scheduled') AND run_at <= :now
)
SELECT task, count(*) AS n FROM (
    SELECT a.task FROM jobs a INDEXED BY jobs_ready_by_queue
    WHERE a.queue = (SELECT queue FROM me) AND a.state IN ('queued', 'scheduled')
      AND a.run_at <= :now AND a.priority >= (SELECT priority FROM me)
      AND (a.priority > (SELECT priority FROM me)
           OR (a.run_at, a.id) < (SELECT run_at, id FROM me))
    ORDER BY a.priority DESC, a.run_at, a.id
    LIMIT :limit
)
GROUP BY task
