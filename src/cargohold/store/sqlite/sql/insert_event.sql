INSERT INTO events (job_id, at, kind, state, attempt, lease_token, worker_id, reason)
VALUES (:job_id, :at, :kind, :state, :attempt, :lease_token, :worker_id, :reason)
