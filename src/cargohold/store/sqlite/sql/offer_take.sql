DELETE FROM offers WHERE worker_id = :worker_id
