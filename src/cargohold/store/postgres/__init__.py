"""The PostgreSQL store (the `[postgres]` extra): `postgresql://user@host/database`."""
