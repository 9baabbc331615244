SELECT current_database() AS name,
       (SELECT oid FROM pg_database WHERE datname = current_database()) AS oid,
       pg_postmaster_start_time() AS started
