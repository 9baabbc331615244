-- Write one job already claimed for the worker whose offer it took, under the offer's lease
-- token (what enqueue.sql then claim_chosen.sql would have written, in one statement).
INSERT INTO jobs (
    id, task, queue, state, priority, args, max_attempts, run_at, created_at, timeout,
    memory, wait_timeout, attempt, worker_id, lease_token, lease_expires_at, started_at
)
VALUES (
    :id, :task, :queue, 'running', :priority, :args, :max_attempts, :run_at, :now, :timeout,
    :memory, :wait_timeout, 1, :worker_id, :lease_token, :now + :lease, :now
)
