-- A job copied from another store, unless this store has its id (or its key) already.
INSERT INTO jobs (
    id, task, queue, state, priority, args, key, attempt, max_attempts, crashes, run_at,
    created_at, started_at, finished_at, worker_id, lease_token, lease_expires_at, timeout,
    progress_current, progress_total, progress_message, result, error, traceback,
    cancel_requested, memory, reservation, peak_memory, memory_kills, limits, rates,
    wait_timeout
)
VALUES (
    :id, :task, :queue, :state, :priority, :args, :key, :attempt, :max_attempts, :crashes,
    :run_at, :created_at, :started_at, :finished_at, :worker_id, :lease_token,
    :lease_expires_at, :timeout, :progress_current, :progress_total, :progress_message,
    :result, :error, :traceback, :cancel_requested, :memory, :reservation, :peak_memory,
    :memory_kills, :limits, :rates, :wait_timeout
)
ON CONFLICT DO NOTHING
RETURNING id, state, queue
