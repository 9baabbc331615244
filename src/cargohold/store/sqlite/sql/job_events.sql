SELECT * FROM events WHERE job_id = :job_id ORDER BY id
