INSERT INTO workers (id, hostname, pid, queues, concurrency, started_at, last_seen,
                     memory_budget, memory_free)
VALUES (%(id)s, %(hostname)s, %(pid)s, %(queues)s::text[], %(concurrency)s, %(now)s, %(now)s,
        %(memory_budget)s, %(memory_free)s)
ON CONFLICT (id) DO UPDATE SET last_seen = excluded.last_seen
