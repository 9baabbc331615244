-- A worker's standing offer (replacing any earlier one of it): see 0005_offers.sql.
-- queues: a JSON array of queue names, NULL for every queue; marker: the name of the
-- worker's wake-up socket beside the database (wakeup.py).
INSERT INTO offers (worker_id, lease_token, marker, queues, free, unknown_need, lease, expires_at)
VALUES (:worker_id, :lease_token, :marker, :queues, :free, :unknown_need, :lease, :expires_at)
ON CONFLICT (worker_id) DO UPDATE
SET lease_token = excluded.lease_token, marker = excluded.marker, queues = excluded.queues,
    free = excluded.free, unknown_need = excluded.unknown_need, lease = excluded.lease,
    expires_at = excluded.expires_at
