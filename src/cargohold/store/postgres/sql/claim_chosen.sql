-- Claim the jobs chosen among those claim_window locked and left (store/fitting.py).
WITH claimed AS (
    UPDATE jobs
    SET state = 'running',
        attempt = jobs.attempt + 1,
        lease_token = %(batch)s || left(replace(gen_random_uuid()::text, '-', ''), 16),
        lease_expires_at = %(now)s::float8 + %(lease)s::float8,
        worker_id = %(worker_id)s,
        started_at = %(now)s,
        finished_at = NULL,
        progress_current = NULL,
        progress_total = NULL,
        progress_message = NULL
    FROM unnest(%(ids)s::text[], %(needs)s::bigint[]) AS chosen (id, need)
    WHERE jobs.id = chosen.id AND jobs.state IN ('queued', 'scheduled')
    RETURNING jobs.id, jobs.task, jobs.queue, jobs.args, jobs.attempt, jobs.max_attempts,
              jobs.crashes, jobs.memory_kills, jobs.lease_token, jobs.timeout, chosen.need,
              jobs.limits, jobs.rates
),
logged AS (
    INSERT INTO events (job_id, at, kind, state, attempt, lease_token, worker_id)
    SELECT id, %(now)s, 'claimed', 'running', attempt, lease_token, %(worker_id)s FROM claimed
)
SELECT * FROM claimed
