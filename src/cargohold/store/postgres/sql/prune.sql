WITH pruned AS (
    DELETE FROM jobs
    WHERE state = %(state)s AND finished_at < %(before)s::float8
    RETURNING id
),
forgotten AS (
    DELETE FROM events WHERE job_id IN (SELECT id FROM pruned)
)
SELECT count(*) AS n FROM pruned
