CREATE TABLE IF NOT EXISTS cargohold_migrations (
    version integer PRIMARY KEY,
    name text NOT NULL,
    applied_at double precision NOT NULL
)
