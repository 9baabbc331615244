-- Write one job as enqueue_one.sql does (one with no key, limits or rates, ready now), and
-- hand it to the standing offer of an idle worker it fits, if there is one (0005_offers.sql):
-- the job is then written claimed for that worker, under the offer's lease token, and sent
-- to it whole in a notification on the worker's own channel, which PostgreSQL delivers when
-- this statement commits. Otherwise it is written queued and wakes the idle workers of its
-- queue. An offer whose notification would be too long (8000 bytes) is left standing.
WITH offer AS (
    SELECT o.worker_id, job.need
    FROM offers o
    CROSS JOIN LATERAL (
        SELECT coalesce((SELECT s.learned_memory FROM task_stats s WHERE s.task = %(task)s::text),
                        %(memory)s::bigint + %(overhead)s::bigint) AS need
    ) AS job
    WHERE o.expires_at > %(now)s::float8
      AND (o.queues IS NULL OR %(queue)s::text = ANY(o.queues))
      AND coalesce(job.need, o.unknown_need) <= o.free
      AND octet_length(json_build_array(%(task)s::text, %(queue)s::text, %(args)s::text)::text)
          <= 7000
      AND NOT EXISTS (SELECT 1 FROM queues q WHERE q.name = %(queue)s::text AND q.paused)
    LIMIT 1
    FOR UPDATE OF o SKIP LOCKED
),
taken AS (
    DELETE FROM offers o USING offer
    WHERE o.worker_id = offer.worker_id
    RETURNING o.worker_id, o.lease_token, o.channel, o.lease, offer.need
),
inserted AS (
    INSERT INTO jobs (
        id, task, queue, state, priority, args, max_attempts, run_at, created_at, timeout,
        memory, wait_timeout, attempt, worker_id, lease_token, lease_expires_at, started_at
    )
    SELECT %(id)s, %(task)s, %(queue)s,
           CASE WHEN t.worker_id IS NULL THEN 'queued' ELSE 'running' END,
           %(priority)s, %(args)s, %(max_attempts)s, %(run_at)s, %(now)s, %(timeout)s,
           %(memory)s, %(wait_timeout)s,
           CASE WHEN t.worker_id IS NULL THEN 0 ELSE 1 END,
           t.worker_id, t.lease_token, %(now)s::float8 + t.lease,
           CASE WHEN t.worker_id IS NOT NULL THEN %(now)s::float8 END
    FROM (VALUES (1)) AS one (n) LEFT JOIN taken t ON true
    RETURNING id, queue, attempt, worker_id, lease_token
),
logged AS (
    INSERT INTO events (job_id, at, kind, state, attempt, lease_token, worker_id)
    SELECT id, %(now)s, 'enqueued', 'queued', 0, NULL, NULL FROM inserted
    UNION ALL
    SELECT id, %(now)s, 'claimed', 'running', attempt, lease_token, worker_id
    FROM inserted WHERE worker_id IS NOT NULL
)
-- The notification's fields are those of a claim, in handing.handed_claim's order.
SELECT t.worker_id IS NOT NULL AS handed, CASE
    WHEN t.worker_id IS NULL THEN pg_notify('cargohold', i.queue)
    ELSE pg_notify(t.channel, json_build_array(
        i.id, %(task)s::text, %(queue)s::text, %(args)s::text, i.attempt,
        %(max_attempts)s::integer, i.lease_token, %(timeout)s::float8, t.need
    )::text)
END AS notified
FROM inserted i LEFT JOIN taken t ON true
