from tests.postgres import (
    empty_postgres_url,
    postgres_admin,
    postgres_databases,
    postgres_template,
    postgres_url,
)
from tests.processes import new_store_url, workers

__all__ = [
    "empty_postgres_url",
    "new_store_url",
    "postgres_admin",
    "postgres_databases",
    "postgres_template",
    "postgres_url",
    "workers",
]
