-- A job copied from another store, unless this store has its id (or its key) already.
INSERT INTO jobs (
    id, task, queue, state, priority, args, key, attempt, max_attempts, crashes, run_at,
    created_at, started_at, finished_at, worker_id, lease_token, lease_expires_at, timeout,
    progress_current, progress_total, progress_message, result, error, traceback,
    cancel_requested, memory, reservation, peak_memory, memory_kills, limits, rates,
    wait_timeout
)
VALUES (
    %(id)s, %(task)s, %(queue)s, %(state)s, %(priority)s, %(args)s, %(key)s, %(attempt)s,
    %(max_attempts)s, %(crashes)s, %(run_at)s, %(created_at)s, %(started_at)s,
    %(finished_at)s, %(worker_id)s, %(lease_token)s, %(lease_expires_at)s, %(timeout)s,
    %(progress_current)s, %(progress_total)s, %(progress_message)s, %(result)s, %(error)s,
    %(traceback)s, %(cancel_requested)s, %(memory)s, %(reservation)s, %(peak_memory)s,
    %(memory_kills)s, %(limits)s::jsonb, %(rates)s::jsonb, %(wait_timeout)s
)
ON CONFLICT DO NOTHING
RETURNING id, state, queue
