-- Taken by every transaction that may add a slot: counting and adding are then one step.
SELECT pg_advisory_xact_lock(7281938475001) AS locked
