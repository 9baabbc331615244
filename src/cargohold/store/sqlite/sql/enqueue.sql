INSERT INTO jobs (
    id, task, queue, state, priority, args, key, max_attempts, run_at, created_at, timeout,
    memory, limits, rates, wait_timeout
)
VALUES (
    :id, :task, :queue,
    CASE WHEN :run_at > :now THEN 'scheduled' ELSE 'queued' END,
    :priority, :args, :key, :max_attempts, :run_at, :now, :timeout, :memory, :limits, :rates,
    :wait_timeout
)
ON CONFLICT (key) DO NOTHING
RETURNING id, state
