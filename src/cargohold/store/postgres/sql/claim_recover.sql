SELECT id, task, queue, args, attempt, max_attempts, crashes, lease_token, timeout
FROM jobs
WHERE worker_id = %(worker_id)s AND state = 'running' AND left(lease_token, 8) = %(batch)s
