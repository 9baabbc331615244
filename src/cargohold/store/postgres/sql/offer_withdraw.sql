-- Withdraw a worker's offer; a row comes back if it was still standing. While a producer's
-- statement holds it (taking it), this waits for that statement to commit or roll back.
DELETE FROM offers WHERE worker_id = %(worker_id)s AND lease_token = %(lease_token)s
RETURNING worker_id
