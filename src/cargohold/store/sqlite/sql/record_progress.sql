UPDATE jobs
SET progress_current = :current, progress_total = :total, progress_message = :message
WHERE id = :job_id AND lease_token = :lease_token AND state = 'running'
