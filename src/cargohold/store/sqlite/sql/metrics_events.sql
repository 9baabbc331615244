SELECT j.task, e.kind, count(*) AS n
FROM events e JOIN jobs j ON j.id = e.job_id
WHERE e.kind IN (SELECT value FROM json_each(:kinds))
GROUP BY j.task, e.kind
