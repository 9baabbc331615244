INSERT INTO limit_slots (token, name, key, capacity, job_id, holder, acquired_at, expires_at)
SELECT %(lease_token)s, l.value ->> 0, l.value ->> 1,
       coalesce((SELECT (c.value ->> 1)::integer FROM jsonb_array_elements(%(limits)s::jsonb) c
                 WHERE c.value ->> 0 = l.value ->> 0), 0),
       %(job_id)s, %(worker_id)s, %(now)s, %(now)s::float8 + %(lease)s::float8
FROM jsonb_array_elements(%(job_limits)s::jsonb) l
ON CONFLICT (token, name, key) DO NOTHING
