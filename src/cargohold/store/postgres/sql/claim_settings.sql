-- Until the claim's COMMIT: the planner avoids sorting, so it reads the ready jobs in claim
-- order from their index and stops after the few it needs. With statistics older than the
-- jobs (a burst into a queue that was empty when last analyzed) it would otherwise expect a
-- handful of ready jobs, and read and sort every one of them instead, at every claim.
-- A prepared claim statement runs its generic plan, made once per connection: planning it
-- again at every run costs more than running it. The sorts left (of a claim's own few rows)
-- look costly to the planner: that must not make it JIT-compile them.
-- A transaction that only claims does not wait for its COMMIT to reach the disk: a claim
-- lost in a server crash is claimed and run again, as after any crash.
SELECT set_config('enable_sort', 'off', true) AS enable_sort,
       set_config('plan_cache_mode', 'force_generic_plan', true) AS plan_cache_mode,
       set_config('jit', 'off', true) AS jit,
       set_config('synchronous_commit',
                  CASE WHEN %(synced)s THEN current_setting('synchronous_commit') ELSE 'off' END,
                  true) AS synchronous_commit
