-- Per task: how many succeeded or failed jobs ran for at most each bound (the smallest of
-- BOUNDS at or above their duration; NULL above the last), with the sum of their durations.
-- :b0 ... :b10 are `cargohold.store.metrics.BOUNDS`, smallest first.
SELECT task AS label, le, count(*) AS n, sum(duration) AS total FROM (
    SELECT task, finished_at - started_at AS duration,
           CASE
               WHEN finished_at - started_at <= :b0 THEN :b0
               WHEN finished_at - started_at <= :b1 THEN :b1
               WHEN finished_at - started_at <= :b2 THEN :b2
               WHEN finished_at - started_at <= :b3 THEN :b3
               WHEN finished_at - started_at <= :b4 THEN :b4
               WHEN finished_at - started_at <= :b5 THEN :b5
               WHEN finished_at - started_at <= :b6 THEN :b6
               WHEN finished_at - started_at <= :b7 THEN :b7
               WHEN finished_at - started_at <= :b8 THEN :b8
               WHEN finished_at - started_at <= :b9 THEN :b9
               WHEN finished_at - started_at <= :b10 THEN :b10
           END AS le
    FROM jobs
    WHERE state IN ('succeeded', 'failed') AND started_at IS NOT NULL
      AND finished_at >= started_at
)
GROUP BY task, le
