SELECT j.task, e.kind, count(*) AS n
FROM events e JOIN jobs j ON j.id = e.job_id
WHERE e.kind = ANY(%(kinds)s::text[])
GROUP BY j.task, e.kind
