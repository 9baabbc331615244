-- An unregistering worker's offer, if it still stands.
DELETE FROM offers WHERE worker_id = :id
