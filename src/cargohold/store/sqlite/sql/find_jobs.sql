SELECT * FROM jobs
WHERE (:states IS NULL OR state IN (SELECT value FROM json_each(:states)))
  AND (:queues IS NULL OR queue IN (SELECT value FROM json_each(:queues)))
  AND (:tasks IS NULL OR task IN (SELECT value FROM json_each(:tasks)))
  AND (:ids IS NULL OR id IN (SELECT value FROM json_each(:ids)))
  AND (:key IS NULL OR key = :key)
  AND (:created_after IS NULL OR created_at >= :created_after)
  AND (:created_before IS NULL OR created_at < :created_before)
ORDER BY
  CASE WHEN :newest_first THEN id END DESC,
  CASE WHEN NOT :newest_first THEN id END ASC
LIMIT :limit OFFSET :offset
