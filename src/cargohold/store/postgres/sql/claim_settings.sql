-- Until the claim's COMMIT: the planner avoids sorting, so it reads the ready jobs in claim
-- order from their index and stops after the few it needs. With statistics older than the
-- jobs (a burst into a queue that was empty when last analyzed) it would otherwise expect a
-- handful of ready jobs, and read and sort every one of them instead, at every claim.
-- A prepared claim statement runs its generic plan, made once per connection: planning it
-- again at every run costs more than running it. The sorts left (of a claim's own few rows)
-- look costly to the planner: that must not make it JIT-compile them.
-- (A transaction that only claims runs on a connection whose session has these settings:
-- claim_session.sql.)
SELECT set_config('enable_sort', 'off', true) AS enable_sort,
       set_config('plan_cache_mode', 'force_generic_plan', true) AS plan_cache_mode,
       set_config('jit', 'off', true) AS jit
