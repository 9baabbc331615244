"""HTTP plumbing shared by the API and the dashboard: errors, bodies, JSON, query values."""

from __future__ import annotations

import json
import logging
import math
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from cargohold.errors import (
    CargoholdError,
    ConfigurationError,
    InvalidTransitionError,
    JobNotFoundError,
    LimitBusyError,
    PayloadError,
    PayloadTooLargeError,
    QueueFullError,
    RateLimitedError,
    StoreError,
    UnknownTaskError,
)
from cargohold.units import format_size

log = logging.getLogger("cargohold.web")


class ApiError(Exception):
    """An error answered as `{"error": message}` with an HTTP status (and, for 429 and
    503, how many seconds to wait: the Retry-After header)."""

    def __init__(self, status: int, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.retry_after = retry_after


_STATUS_OF: list[tuple[type[CargoholdError], int]] = [
    (JobNotFoundError, 404),
    (UnknownTaskError, 422),
    (PayloadTooLargeError, 413),
    (PayloadError, 422),
    (ConfigurationError, 422),
    (InvalidTransitionError, 409),
    (StoreError, 503),
    (QueueFullError, 503),
    (LimitBusyError, 503),
    (RateLimitedError, 429),
]


def as_api_error(error: Exception) -> ApiError:
    """The HTTP form of an error raised while handling a request."""
    if isinstance(error, ApiError):
        return error
    if isinstance(error, CargoholdError):
        for kind, status in _STATUS_OF:
            if isinstance(error, kind):
                return ApiError(status, str(error), getattr(error, "retry_after", None))
        return ApiError(500, str(error))
    log.error("unexpected error while handling a request", exc_info=error)
    return ApiError(500, "internal error; the server log has the details")


def json_error(error: ApiError) -> JSONResponse:
    headers = {"WWW-Authenticate": 'Bearer realm="cargohold"'} if error.status == 401 else {}
    if error.retry_after is not None:
        headers["Retry-After"] = str(max(1, math.ceil(error.retry_after)))
    return JSONResponse({"error": error.message}, status_code=error.status, headers=headers)


async def read_body(request: Request, limit: int) -> bytes:
    """The request body, refused with 413 as soon as it passes `limit` bytes."""
    declared = request.headers.get("content-length")
    if declared is not None:
        if not declared.isdigit():
            raise ApiError(400, "Content-Length is not a number")
        if int(declared) > limit:
            raise _too_large(limit)
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise _too_large(limit)
        chunks.append(chunk)
    return b"".join(chunks)


def _too_large(limit: int) -> ApiError:
    return ApiError(
        413, f"the request body is larger than the {format_size(limit)} this server accepts"
    )


def parse_json_body(body: bytes, *, required: bool = True) -> dict[str, Any]:
    """The body as a JSON object; 400 with the reason if it is not one."""
    if not body.strip():
        if required:
            raise ApiError(400, "the request body is empty; send a JSON object")
        return {}
    try:
        value = json.loads(body, parse_constant=_refuse_constant)
        json.dumps(value, ensure_ascii=False).encode()
    except RecursionError:
        raise ApiError(400, "the JSON body is nested too deeply") from None
    except UnicodeError:
        raise ApiError(400, "the JSON body holds invalid Unicode (a lone surrogate)") from None
    except ValueError as error:
        raise ApiError(400, f"the request body is not JSON: {error}") from None
    if not isinstance(value, dict):
        raise ApiError(400, f"the request body must be a JSON object, not {type(value).__name__}")
    return value


def _refuse_constant(name: str) -> Any:
    raise ApiError(400, f"{name} is not a JSON number; send finite numbers only")


def field(
    body: dict[str, Any], name: str, kind: type | tuple[type, ...], default: Any = None
) -> Any:
    """One field of a JSON body, checked for its type (None means absent)."""
    value = body.get(name, default)
    if value is None:
        return default
    kinds = kind if isinstance(kind, tuple) else (kind,)
    if isinstance(value, bool) and bool not in kinds:
        raise ApiError(400, f"{name!r} must be {_names(kinds)}, not a boolean")
    if not isinstance(value, kinds):
        raise ApiError(400, f"{name!r} must be {_names(kinds)}, not {type(value).__name__}")
    return value


def _names(kinds: tuple[type, ...]) -> str:
    words = {
        str: "a string",
        int: "an integer",
        float: "a number",
        list: "a list",
        dict: "an object",
    }
    return " or ".join(words.get(k, k.__name__) for k in kinds)


def query_int(request: Request, name: str, default: int, low: int, high: int) -> int:
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ApiError(
            400, f"query parameter {name!r} must be a whole number, not {raw!r}"
        ) from None
    if not low <= value <= high:
        raise ApiError(400, f"query parameter {name!r} must be between {low} and {high}")
    return value


def query_list(request: Request, name: str) -> tuple[str, ...]:
    """Repeated or comma-separated values: `?state=failed&state=queued` or `?state=a,b`."""
    values: list[str] = []
    for raw in request.query_params.getlist(name):
        values.extend(part.strip() for part in raw.split(",") if part.strip())
    return tuple(dict.fromkeys(values))


def no_store(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"
    return response
