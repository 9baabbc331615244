SELECT version FROM cargohold_migrations ORDER BY version
