UPDATE jobs
SET progress_current = %(current)s, progress_total = %(total)s, progress_message = %(message)s
WHERE id = %(job_id)s AND lease_token = %(lease_token)s AND state = 'running'
