-- The tasks of the first %(limit)s ready jobs ahead of the job in its queue, read in claim
-- order from the queue's index of ready jobs (ordered by queue first, so that this index is
-- the one that gives the order: the read stops after %(limit)s rows).
WITH me AS MATERIALIZED (
    SELECT queue, priority, run_at, id FROM jobs
    WHERE id = %(job_id)s AND state IN ('queued', 'scheduled') AND run_at <= %(now)s::float8
),
ahead AS (
    SELECT a.task FROM jobs a
    WHERE a.queue = (SELECT queue FROM me) AND a.state IN ('queued', 'scheduled')
      AND a.run_at <= %(now)s::float8 AND a.priority >= (SELECT priority FROM me)
      AND (a.priority > (SELECT priority FROM me)
           OR (a.run_at, a.id) < (SELECT run_at, id FROM me))
    ORDER BY a.queue, a.priority DESC, a.run_at, a.id
    LIMIT %(limit)s
)
SELECT task, count(*) AS n FROM ahead GROUP BY task
