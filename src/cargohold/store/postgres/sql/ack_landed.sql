-- The outcomes among these that an earlier try of the same call persisted: their events.
SELECT e.job_id, e.lease_token
FROM unnest(%(job_ids)s::text[], %(lease_tokens)s::text[], %(kinds)s::text[])
     AS a (job_id, lease_token, kind)
JOIN events e ON e.job_id = a.job_id AND e.lease_token = a.lease_token AND e.kind = a.kind
WHERE e.worker_id = %(worker_id)s
