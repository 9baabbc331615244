SELECT * FROM events WHERE job_id = %(job_id)s ORDER BY id
