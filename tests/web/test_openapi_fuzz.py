"""schemathesis against the OpenAPI document: generated requests never cause a server error
and every response matches the document (status, content type, schema)."""

from __future__ import annotations

from typing import Any

import pytest

schemathesis = pytest.importorskip("schemathesis", reason="the fuzz test needs schemathesis")

from hypothesis import HealthCheck, given, settings  # noqa: E402
from schemathesis.checks import (  # noqa: E402
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from cargohold import App  # noqa: E402
from cargohold.web import CargoholdWeb  # noqa: E402
from tests.web.conftest import ADMIN  # noqa: E402

MAX_EXAMPLES = 30
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


@pytest.fixture
def api_schema(web: CargoholdWeb, app: App) -> Any:
    # Real records to read back: a queued, a scheduled, a cancelled and a finished job.
    app.tasks["echo"].enqueue("queued")
    app.tasks["render"].options(delay="1h", key="k1").enqueue(2)
    app.tasks["echo"].enqueue("cancelled").cancel()
    schema = schemathesis.openapi.from_asgi("/openapi.json", web, headers=ADMIN)
    # The stream of a job that never finishes would never end: it has its own tests.
    return schema.exclude(path_regex=r"/stream$")


def test_api_conforms_to_its_openapi_document(api_schema: Any) -> None:
    failures = []
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) >= 12
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=MAX_EXAMPLES,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def check(case: Any) -> None:
            case.call_and_validate(headers=ADMIN, checks=CHECKS)

        try:
            check()
        except Exception as error:  # collect every operation's failure, then report them all
            failures.append(f"{operation.label}: {error}")
    assert failures == [], "\n\n".join(failures)
