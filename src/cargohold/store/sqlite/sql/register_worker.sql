INSERT INTO workers (id, hostname, pid, queues, concurrency, started_at, last_seen,
                     memory_budget, memory_free)
VALUES (:id, :hostname, :pid, :queues, :concurrency, :now, :now, :memory_budget, :memory_free)
ON CONFLICT (id) DO UPDATE SET last_seen = excluded.last_seen
