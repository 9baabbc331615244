"""Job arguments and results travel as JSON, and only JSON: nothing is ever unpickled."""

from __future__ import annotations

import json
from json.encoder import encode_basestring
from typing import Any, NoReturn

try:
    from _json import make_encoder
except ImportError:  # an interpreter without json's C accelerator
    make_encoder = None  # type: ignore[assignment, misc]

from cargohold.errors import PayloadError, PayloadTooLargeError
from cargohold.units import format_size

JSON = Any
"""A value that round-trips through JSON."""

_ENCODER = json.JSONEncoder(separators=(",", ":"), allow_nan=False, ensure_ascii=False)
"""One encoder for every payload (`json.dumps` with options builds a new one per call)."""


def _not_json(value: object) -> NoReturn:
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


_C_ENCODE = (
    None
    if make_encoder is None
    else make_encoder(None, _not_json, encode_basestring, None, ":", ",", False, False, False)
)
"""`_ENCODER`'s C encoder, made once: `JSONEncoder.encode` makes one per call, half the time
of encoding a short payload. Made without the circular-reference check (its record of the
containers being encoded would be shared by threads); a payload that refers to itself is
refused as too deeply nested instead (RecursionError)."""


def _encode(value: Any) -> str:
    if _C_ENCODE is None:
        return _ENCODER.encode(value)
    return "".join(_C_ENCODE(value, 0))


def encode_arguments(
    task: str, args: tuple[Any, ...], kwargs: dict[str, Any], max_bytes: int
) -> str:
    """The stored form of a call's arguments, refused with a clear error if not JSON or too big."""
    try:
        text = _encode({"args": list(args), "kwargs": kwargs})
    except (TypeError, ValueError) as error:
        raise PayloadError(
            f"arguments of task {task!r} are not JSON ({error}); pass strings, numbers, "
            "booleans, None, lists and dicts with string keys, e.g. an id instead of an object"
        ) from None
    except RecursionError:
        raise PayloadError(
            f"arguments of task {task!r} nest too deeply or contain themselves"
        ) from None
    if not _valid_unicode(text):
        raise PayloadError(
            f"arguments of task {task!r} hold a string that is not valid Unicode (a lone "
            "surrogate, such as text decoded with errors='surrogateescape'); no store can "
            "hold it"
        )
    # A character takes at most 4 bytes: most payloads are known to fit without encoding them.
    if len(text) * 4 > max_bytes and (size := len(text.encode())) > max_bytes:
        raise PayloadTooLargeError(
            f"arguments of task {task!r} take {format_size(size)} but the payload limit is "
            f"{format_size(max_bytes)}; store large data elsewhere and pass its id or path "
            "(or raise CARGOHOLD_MAX_PAYLOAD)"
        )
    return text


def decode_arguments(text: str) -> tuple[list[Any], dict[str, Any]]:
    """The call's arguments from their stored form; PayloadError if the form is damaged."""
    try:
        value = json.loads(text)
    except ValueError as error:
        raise PayloadError(f"stored arguments are not JSON: {error}") from None
    if not isinstance(value, dict) or set(value) != {"args", "kwargs"}:
        raise PayloadError('stored arguments must be a JSON object {"args": [...], "kwargs": {}}')
    args, kwargs = value["args"], value["kwargs"]
    if not isinstance(args, list) or not isinstance(kwargs, dict):
        raise PayloadError("stored arguments: args must be a list and kwargs an object")
    return args, kwargs


def encode_result(task: str, value: Any) -> str:
    try:
        text = _encode(value)
    except (TypeError, ValueError) as error:
        raise PayloadError(
            f"task {task!r} returned a value that is not JSON ({error}); "
            "return strings, numbers, booleans, None, lists or dicts"
        ) from None
    except RecursionError:
        raise PayloadError(
            f"task {task!r} returned a value that nests too deeply or contains itself"
        ) from None
    if not _valid_unicode(text):
        raise PayloadError(
            f"task {task!r} returned a string that is not valid Unicode (a lone surrogate, "
            "such as text decoded with errors='surrogateescape'); no store can hold it"
        )
    return text


def storable_text(text: str) -> str:
    """Free text from a task (an error, a traceback, a reason, a progress message) as every
    store can hold it: a NUL character (which PostgreSQL refuses) and lone surrogates (which
    UTF-8 cannot encode) are written as backslash escapes."""
    if "\x00" in text:
        text = text.replace("\x00", "\\x00")
    if _valid_unicode(text):
        return text
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def _valid_unicode(text: str) -> bool:
    if text.isascii():
        return True
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def decode_result(text: str | None) -> Any:
    return None if text is None else json.loads(text)
