SELECT * FROM events WHERE job_id = ANY(%(job_ids)s::text[]) ORDER BY id
