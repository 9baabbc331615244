-- A standing offer the job about to be written fits, with the job's memory need (as a
-- claim reckons it): for its queue, not paused, within the memory the worker offers.
SELECT o.worker_id, o.lease_token, o.marker, o.lease, job.need
FROM offers o,
     (SELECT coalesce((SELECT learned_memory FROM task_stats WHERE task = :task),
                      :memory + :overhead) AS need) AS job
WHERE o.expires_at > :now
  AND (o.queues IS NULL OR :queue IN (SELECT value FROM json_each(o.queues)))
  AND coalesce(job.need, o.unknown_need) <= o.free
  AND NOT EXISTS (SELECT 1 FROM queues q WHERE q.name = :queue AND q.paused)
LIMIT 1
