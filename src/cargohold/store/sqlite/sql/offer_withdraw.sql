-- Withdraw a worker's offer; a row comes back if it was still standing.
DELETE FROM offers WHERE worker_id = :worker_id AND lease_token = :lease_token
RETURNING worker_id
