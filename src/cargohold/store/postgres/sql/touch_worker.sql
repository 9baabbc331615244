UPDATE workers
SET last_seen = %(now)s,
    memory_budget = coalesce(%(memory_budget)s::bigint, memory_budget),
    memory_free = coalesce(%(memory_free)s::bigint, memory_free)
WHERE id = %(id)s
