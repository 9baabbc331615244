SELECT * FROM events WHERE job_id IN (SELECT value FROM json_each(:job_ids)) ORDER BY id
