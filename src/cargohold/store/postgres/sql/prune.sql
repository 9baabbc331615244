WITH pruned AS (
    DELETE FROM jobs
    WHERE id IN (
        SELECT id FROM jobs
        WHERE state = %(state)s AND finished_at < %(before)s::float8
          AND (key IS NULL OR finished_at < %(keys_before)s::float8)
        LIMIT %(limit)s
    )
    RETURNING id
),
forgotten AS (
    DELETE FROM events WHERE job_id IN (SELECT id FROM pruned)
)
SELECT count(*) AS n FROM pruned
