WITH offer AS (DELETE FROM offers WHERE worker_id = %(id)s)
DELETE FROM workers WHERE id = %(id)s
