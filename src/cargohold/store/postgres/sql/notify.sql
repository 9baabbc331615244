SELECT pg_notify('cargohold', %(queue)s::text)
