DELETE FROM jobs
WHERE id IN (
    SELECT id FROM jobs
    WHERE state = :state AND finished_at < :before
      AND (key IS NULL OR finished_at < :keys_before)
    LIMIT :limit
)
RETURNING id
