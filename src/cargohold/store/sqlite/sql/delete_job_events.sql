DELETE FROM events WHERE job_id = :job_id
