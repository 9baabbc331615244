INSERT INTO workers (id, hostname, pid, queues, concurrency, started_at, last_seen)
VALUES (%(id)s, %(hostname)s, %(pid)s, %(queues)s::text[], %(concurrency)s, %(now)s, %(now)s)
ON CONFLICT (id) DO UPDATE SET last_seen = excluded.last_seen
