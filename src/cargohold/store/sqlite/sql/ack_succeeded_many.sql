UPDATE jobs
SET peak_memory = coalesce(a.value ->> '$.peak', jobs.peak_memory),
    state = 'succeeded', result = a.value ->> '$.result', error = NULL, traceback = NULL,
    finished_at = :now, lease_expires_at = NULL
FROM json_each(:acks) AS a
WHERE jobs.id = a.value ->> '$.id' AND jobs.lease_token = a.value ->> '$.token'
  AND jobs.state = 'running'
RETURNING jobs.id, jobs.lease_token, jobs.attempt, jobs.task, jobs.started_at
