DELETE FROM jobs
WHERE state = :state AND finished_at < :before
RETURNING id
