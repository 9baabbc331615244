DELETE FROM jobs WHERE id = :job_id AND state <> 'running'
RETURNING id
