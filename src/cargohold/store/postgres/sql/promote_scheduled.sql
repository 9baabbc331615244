UPDATE jobs SET state = 'queued'
WHERE state = 'scheduled' AND run_at <= %(now)s::float8
RETURNING queue
