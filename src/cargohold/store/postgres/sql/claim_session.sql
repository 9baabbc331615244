-- The session of a connection kept for transactions that only claim: the settings of
-- claim_settings.sql, for every transaction on it, so that a claim is one statement. And such
-- a transaction does not wait for its COMMIT to reach the disk: a claim lost in a server
-- crash is claimed and run again, as after any crash.
SELECT set_config('enable_sort', 'off', false) AS enable_sort,
       set_config('plan_cache_mode', 'force_generic_plan', false) AS plan_cache_mode,
       set_config('jit', 'off', false) AS jit,
       set_config('synchronous_commit', 'off', false) AS synchronous_commit
