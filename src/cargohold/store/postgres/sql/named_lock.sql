SELECT pg_advisory_xact_lock(hashtextextended(%(lock)s::text, 0)) AS locked
