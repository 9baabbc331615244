-- 1 + the ready jobs of the job's queue that a claim takes before it, counted on the queue's
-- index of ready jobs in two ranges: higher priorities, then its own priority up to itself.
SELECT 1
    + (SELECT count(*) FROM jobs a
       WHERE a.queue = j.queue AND a.state IN ('queued', 'scheduled')
         AND a.priority > j.priority AND a.run_at <= %(now)s::float8)
    + (SELECT count(*) FROM jobs a
       WHERE a.queue = j.queue AND a.state IN ('queued', 'scheduled')
         AND a.priority = j.priority AND (a.run_at, a.id) < (j.run_at, j.id)
         AND a.run_at <= %(now)s::float8) AS position
FROM jobs j
WHERE j.id = %(job_id)s AND j.state IN ('queued', 'scheduled') AND j.run_at <= %(now)s::float8
