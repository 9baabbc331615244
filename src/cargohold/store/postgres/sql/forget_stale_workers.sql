DELETE FROM workers WHERE last_seen < %(before)s::float8
