SELECT 1 AS landed FROM events
WHERE job_id = %(job_id)s AND lease_token = %(lease_token)s
  AND kind = %(kind)s AND worker_id = %(worker_id)s
