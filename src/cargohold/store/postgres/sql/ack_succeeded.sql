-- Persist outcomes of one kind, all at once: row i of the arrays is one outcome. An outcome is
-- applied only where its job still runs under its lease token; the slots an attempt held are
-- freed whatever became of it. Each outcome applied records its event. The statistics of
-- the tasks that succeeded are locked (in task order) and read, to learn from these runs:
-- they come as rows of their own, one per task, with no job id.
WITH released AS (
    DELETE FROM limit_slots WHERE token = ANY(%(lease_tokens)s::text[])
),
acked AS (
    UPDATE jobs
    SET state = 'succeeded', result = a.result, error = NULL, traceback = NULL,
        finished_at = %(now)s, lease_expires_at = NULL,
        peak_memory = coalesce(a.peak_memory, jobs.peak_memory)
    FROM unnest(%(job_ids)s::text[],
                %(lease_tokens)s::text[],
                %(peak_memories)s::bigint[],
                %(reasons)s::text[],
                %(results)s::text[]) AS a (job_id, lease_token, peak_memory, reason, result)
    -- Only the jobs named are read, by their key: the state is tested through CASE, which
    -- the planner cannot see into. Statistics taken while few jobs ran (a backlog
    -- analyzed before its worker started) would make it expect almost no running job,
    -- and read every running job, or every job, once per outcome, while a worker of
    -- quick jobs holds a thousand.
    WHERE jobs.id = ANY(%(job_ids)s::text[])
      AND jobs.id = a.job_id AND jobs.lease_token = a.lease_token
      AND CASE WHEN jobs.state = 'running' THEN true END
    RETURNING jobs.id, jobs.state, jobs.attempt, jobs.queue, jobs.task, jobs.started_at,
              a.lease_token, a.reason
),
logged AS (
    INSERT INTO events (job_id, at, kind, state, attempt, lease_token, worker_id, reason)
    SELECT id, %(now)s, 'succeeded', state, attempt, lease_token, %(worker_id)s, reason FROM acked
),
stats AS (
    INSERT INTO task_stats (task, updated_at)
    SELECT DISTINCT task, %(now)s::float8 FROM acked ORDER BY task
    ON CONFLICT (task) DO UPDATE SET task = excluded.task
    RETURNING task, peaks, durations
)
SELECT id, lease_token, state, queue, task, started_at, NULL::bigint[], NULL::float8[]
FROM acked
UNION ALL  -- once per task: the rows of its statistics (with no job id)
SELECT NULL, NULL, NULL, NULL, task, NULL, peaks, durations FROM stats
