INSERT INTO limit_slots (token, name, key, capacity, job_id, holder, acquired_at, expires_at)
SELECT :lease_token, json_extract(l.value, '$[0]'), json_extract(l.value, '$[1]'),
       coalesce((SELECT json_extract(c.value, '$[1]') FROM json_each(:limits) c
                 WHERE json_extract(c.value, '$[0]') = json_extract(l.value, '$[0]')), 0),
       :job_id, :worker_id, :now, :now + :lease
FROM json_each(:job_limits) l
WHERE true
ON CONFLICT (token, name, key) DO NOTHING
