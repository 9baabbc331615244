-- Per queue: how many started jobs waited at most each bound from ready (run_at) to the
-- start of their last attempt, with the sum of those waits (bounds as in metrics_durations).
SELECT queue AS label, le, count(*) AS n, sum(wait) AS total FROM (
    SELECT queue, started_at - run_at AS wait,
           CASE
               WHEN started_at - run_at <= %(b0)s::float8 THEN %(b0)s::float8
               WHEN started_at - run_at <= %(b1)s::float8 THEN %(b1)s::float8
               WHEN started_at - run_at <= %(b2)s::float8 THEN %(b2)s::float8
               WHEN started_at - run_at <= %(b3)s::float8 THEN %(b3)s::float8
               WHEN started_at - run_at <= %(b4)s::float8 THEN %(b4)s::float8
               WHEN started_at - run_at <= %(b5)s::float8 THEN %(b5)s::float8
               WHEN started_at - run_at <= %(b6)s::float8 THEN %(b6)s::float8
               WHEN started_at - run_at <= %(b7)s::float8 THEN %(b7)s::float8
               WHEN started_at - run_at <= %(b8)s::float8 THEN %(b8)s::float8
               WHEN started_at - run_at <= %(b9)s::float8 THEN %(b9)s::float8
               WHEN started_at - run_at <= %(b10)s::float8 THEN %(b10)s::float8
           END AS le
    FROM jobs
    WHERE state IN ('running', 'succeeded', 'failed') AND started_at >= run_at
) AS started
GROUP BY queue, le
