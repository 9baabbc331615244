-- Persist outcomes of one kind, all at once: row i of the arrays is one outcome. An outcome is
-- applied only where its job still runs under its lease token; the slots an attempt held are
-- freed whatever became of it. Each outcome applied records its event.
WITH released AS (
    DELETE FROM limit_slots WHERE token = ANY(%(lease_tokens)s::text[])
),
acked AS (
    UPDATE jobs
    SET crashes = jobs.crashes + a.crashed,
        state = CASE WHEN a.run_at > %(now)s::float8 THEN 'scheduled' ELSE 'queued' END,
        run_at = a.run_at, error = a.error, traceback = a.traceback,
        finished_at = %(now)s, worker_id = NULL, lease_expires_at = NULL,
        peak_memory = coalesce(a.peak_memory, jobs.peak_memory)
    FROM unnest(%(job_ids)s::text[],
                %(lease_tokens)s::text[],
                %(peak_memories)s::bigint[],
                %(reasons)s::text[],
                %(run_ats)s::float8[],
                %(errors)s::text[],
                %(tracebacks)s::text[],
                %(crashed)s::integer[])
         AS a (job_id, lease_token, peak_memory, reason, run_at, error, traceback, crashed)
    -- Only the jobs named, by their key (see ack_succeeded.sql).
    WHERE jobs.id = ANY(%(job_ids)s::text[])
      AND jobs.id = a.job_id AND jobs.lease_token = a.lease_token
      AND CASE WHEN jobs.state = 'running' THEN true END
    RETURNING jobs.id, jobs.state, jobs.attempt, jobs.queue, jobs.task, jobs.started_at,
              a.lease_token, a.reason
),
logged AS (
    INSERT INTO events (job_id, at, kind, state, attempt, lease_token, worker_id, reason)
    SELECT id, %(now)s, 'retrying', state, attempt, lease_token, %(worker_id)s, reason FROM acked
)
SELECT id, lease_token, state, queue, task, started_at FROM acked
