INSERT INTO events (job_id, at, kind, state, attempt, lease_token, worker_id, reason)
VALUES (%(job_id)s, %(at)s, %(kind)s, %(state)s, %(attempt)s, %(lease_token)s, %(worker_id)s,
        %(reason)s)
