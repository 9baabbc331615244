-- Per task: how many succeeded or failed jobs ran for at most each bound (the smallest of
-- BOUNDS at or above their duration; NULL above the last), with the sum of their durations.
-- %(b0)s ... %(b10)s are `cargohold.store.metrics.BOUNDS`, smallest first.
SELECT task AS label, le, count(*) AS n, sum(duration) AS total FROM (
    SELECT task, finished_at - started_at AS duration,
           CASE
               WHEN finished_at - started_at <= %(b0)s::float8 THEN %(b0)s::float8
               WHEN finished_at - started_at <= %(b1)s::float8 THEN %(b1)s::float8
               WHEN finished_at - started_at <= %(b2)s::float8 THEN %(b2)s::float8
               WHEN finished_at - started_at <= %(b3)s::float8 THEN %(b3)s::float8
               WHEN finished_at - started_at <= %(b4)s::float8 THEN %(b4)s::float8
               WHEN finished_at - started_at <= %(b5)s::float8 THEN %(b5)s::float8
               WHEN finished_at - started_at <= %(b6)s::float8 THEN %(b6)s::float8
               WHEN finished_at - started_at <= %(b7)s::float8 THEN %(b7)s::float8
               WHEN finished_at - started_at <= %(b8)s::float8 THEN %(b8)s::float8
               WHEN finished_at - started_at <= %(b9)s::float8 THEN %(b9)s::float8
               WHEN finished_at - started_at <= %(b10)s::float8 THEN %(b10)s::float8
           END AS le
    FROM jobs
    WHERE state IN ('succeeded', 'failed') AND started_at IS NOT NULL
      AND finished_at >= started_at
) AS finished
GROUP BY task, le
