WITH deleted AS (
    DELETE FROM jobs WHERE id = %(job_id)s AND state <> 'running'
    RETURNING id
),
forgotten AS (
    DELETE FROM events WHERE job_id IN (SELECT id FROM deleted)
)
SELECT id FROM deleted
