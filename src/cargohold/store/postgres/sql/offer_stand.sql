-- A worker's standing offer (replacing any earlier one of it): see 0005_offers.sql.
INSERT INTO offers (worker_id, lease_token, channel, queues, free, unknown_need, lease, expires_at)
VALUES (%(worker_id)s, %(lease_token)s, %(channel)s, %(queues)s, %(free)s, %(unknown_need)s,
        %(lease)s, %(expires_at)s)
ON CONFLICT (worker_id) DO UPDATE
SET lease_token = excluded.lease_token, channel = excluded.channel, queues = excluded.queues,
    free = excluded.free, unknown_need = excluded.unknown_need, lease = excluded.lease,
    expires_at = excluded.expires_at
