SELECT queue, state, count(*) AS n FROM jobs GROUP BY queue, state
