-- The job that took a worker's offer (claimed for it under the offer's lease token).
SELECT j.id, j.task, j.queue, j.args, j.attempt, j.max_attempts, j.crashes, j.memory_kills,
       j.lease_token, j.timeout, j.limits, j.rates,
       coalesce(j.reservation, s.learned_memory, j.memory + :overhead) AS need
FROM jobs j LEFT JOIN task_stats s ON s.task = j.task
WHERE j.lease_token = :lease_token AND j.worker_id = :worker_id AND j.state = 'running'
