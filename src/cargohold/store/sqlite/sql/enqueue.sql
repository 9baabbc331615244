INSERT INTO jobs (id, task, queue, state, priority, args, key, max_attempts, run_at, created_at, timeout, memory)
VALUES (
    :id, :task, :queue,
    CASE WHEN :run_at > :now THEN 'scheduled' ELSE 'queued' END,
    :priority, :args, :key, :max_attempts, :run_at, :now, :timeout, :memory
)
ON CONFLICT (key) DO NOTHING
RETURNING id, state
