DELETE FROM rate_grants WHERE expires_at < %(now)s::float8
