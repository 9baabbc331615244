UPDATE workers
SET last_seen = :now,
    memory_budget = coalesce(:memory_budget, memory_budget),
    memory_free = coalesce(:memory_free, memory_free)
WHERE id = :id
