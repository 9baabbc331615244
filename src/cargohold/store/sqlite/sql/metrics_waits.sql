-- Per queue: how many started jobs waited at most each bound from ready (run_at) to the
-- start of their last attempt, with the sum of those waits (bounds as in metrics_durations).
SELECT queue AS label, le, count(*) AS n, sum(wait) AS total FROM (
    SELECT queue, started_at - run_at AS wait,
           CASE
               WHEN started_at - run_at <= :b0 THEN :b0
               WHEN started_at - run_at <= :b1 THEN :b1
               WHEN started_at - run_at <= :b2 THEN :b2
               WHEN started_at - run_at <= :b3 THEN :b3
               WHEN started_at - run_at <= :b4 THEN :b4
               WHEN started_at - run_at <= :b5 THEN :b5
               WHEN started_at - run_at <= :b6 THEN :b6
               WHEN started_at - run_at <= :b7 THEN :b7
               WHEN started_at - run_at <= :b8 THEN :b8
               WHEN started_at - run_at <= :b9 THEN :b9
               WHEN started_at - run_at <= :b10 THEN :b10
           END AS le
    FROM jobs
    WHERE state IN ('running', 'succeeded', 'failed') AND started_at >= run_at
)
GROUP BY queue, le
