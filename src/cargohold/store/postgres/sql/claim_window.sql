-- The memory-fitting claim in one statement, in the common case. It locks the first `limit`
-- jobs in line that no other transaction holds, and claims those of them whose needs, added
-- up in claim order, fit `free`: a job of unknown need counts as `unknown_need` if first, and
-- a job under limits, or of unknown need further back, ends the run. It returns every job it
-- locked with its place in line, claimed or not: the claim goes on with the others in Python
-- (store/fitting.py, claim_chosen). Locks on the jobs left unclaimed end at COMMIT.
WITH line AS (
    SELECT h.id, h.limits, h.need,
           row_number() OVER run AS place,
           sum(coalesce(h.need, %(unknown_need)s::bigint)) OVER run AS total,
           count(*) FILTER (WHERE h.limits IS NOT NULL) OVER run AS limited,
           count(*) FILTER (WHERE h.need IS NULL) OVER run
               - first_value((h.need IS NULL)::integer) OVER run AS unknown_later
    FROM (
        SELECT j.id, j.limits, j.priority, j.run_at,
               coalesce(j.reservation,
                        (SELECT s.learned_memory FROM task_stats s WHERE s.task = j.task),
                        j.memory + %(overhead)s::bigint) AS need
        FROM jobs j
        WHERE j.state IN ('queued', 'scheduled') AND j.run_at <= %(now)s::float8
          AND (%(queues)s::text[] IS NULL OR j.queue = ANY(%(queues)s::text[]))
          AND j.queue NOT IN (SELECT name FROM queues WHERE paused)
          AND (j.wait_timeout IS NULL OR j.run_at + j.wait_timeout > %(now)s::float8)
        ORDER BY j.priority DESC, j.run_at, j.id
        LIMIT %(limit)s
        FOR UPDATE OF j SKIP LOCKED
    ) h
    WINDOW run AS (ORDER BY h.priority DESC, h.run_at, h.id)
),
claimed AS (
    UPDATE jobs
    SET state = 'running',
        attempt = jobs.attempt + 1,
        lease_token = %(batch)s || left(replace(gen_random_uuid()::text, '-', ''), 16),
        lease_expires_at = %(now)s::float8 + %(lease)s::float8,
        worker_id = %(worker_id)s,
        started_at = %(now)s,
        finished_at = NULL,
        progress_current = NULL,
        progress_total = NULL,
        progress_message = NULL
    FROM line
    WHERE jobs.id = line.id AND line.total <= %(free)s::bigint
      AND line.limited = 0 AND line.unknown_later = 0
    RETURNING line.place, jobs.id, jobs.limits, line.need, jobs.task, jobs.queue, jobs.args,
              jobs.attempt, jobs.max_attempts, jobs.crashes, jobs.memory_kills,
              jobs.lease_token, jobs.timeout, jobs.rates
),
logged AS (
    INSERT INTO events (job_id, at, kind, state, attempt, lease_token, worker_id)
    SELECT id, %(now)s, 'claimed', 'running', attempt, lease_token, %(worker_id)s FROM claimed
)
-- The jobs it locked but left are those the UPDATE's condition leaves out: rows it locked
-- are always updated when chosen, so no join of the two lists is needed.
SELECT id, limits, need, task, queue, args, attempt, max_attempts, crashes, memory_kills,
       lease_token, timeout, rates
FROM (
    SELECT * FROM claimed
    UNION ALL
    SELECT place, id, limits, need, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL
    FROM line
    WHERE NOT (total <= %(free)s::bigint AND limited = 0 AND unknown_later = 0)
) AS found
ORDER BY place
