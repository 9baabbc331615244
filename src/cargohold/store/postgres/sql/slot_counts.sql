SELECT h.name, h.key, count(*) AS n
FROM limit_slots h
JOIN unnest(%(names)s::text[], %(keys)s::text[]) AS l (name, key)
  ON h.name = l.name AND h.key = l.key
WHERE h.expires_at > %(now)s::float8
GROUP BY h.name, h.key
