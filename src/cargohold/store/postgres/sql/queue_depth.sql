SELECT count(*) AS n FROM jobs
WHERE queue = %(queue)s AND state IN ('queued', 'scheduled')
