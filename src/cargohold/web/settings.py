"""Settings of the HTTP API and dashboard: one frozen dataclass, every field read from a
`CARGOHOLD_WEB_<NAME>` environment variable; non-secret fields also have a `serve` flag.
Fields are declared, read and reported as in `cargohold.settings`, whose machinery this uses."""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from cargohold.errors import ConfigurationError
from cargohold.settings import parse_names, parse_optional_size, read_fields, setting
from cargohold.units import parse_duration

WEB_ENV_PREFIX = "CARGOHOLD_WEB_"
MIN_TOKEN_LENGTH = 16
_TOKEN_ADVICE = "generate one with: python -c 'import secrets; print(secrets.token_urlsafe(32))'"


def _parse_tokens(value: str | tuple[str, ...] | list[str] | None) -> tuple[str, ...]:
    if value is None:
        return ()
    tokens = parse_names(value)
    for token in tokens:
        if len(token) < MIN_TOKEN_LENGTH:
            raise ConfigurationError(
                f"a token of {len(token)} characters is too short to be secret (at least "
                f"{MIN_TOKEN_LENGTH}); {_TOKEN_ADVICE}"
            )
        if not token.isascii() or not token.isprintable() or " " in token:
            raise ConfigurationError(
                f"tokens must be printable ASCII without spaces or commas; {_TOKEN_ADVICE}"
            )
    return tokens


def _parse_secret(value: str | None) -> str | None:
    if value is None or value == "":
        return None
    if len(value) < MIN_TOKEN_LENGTH:
        raise ConfigurationError(
            f"the secret is {len(value)} characters long; use at least {MIN_TOKEN_LENGTH} "
            f"({_TOKEN_ADVICE})"
        )
    return value


def _parse_port(value: str | int) -> int:
    try:
        port = int(value)
    except ValueError:
        raise ConfigurationError(f"{value!r} is not a port number") from None
    if not 0 <= port <= 65535:
        raise ConfigurationError(f"port {port} is not between 0 and 65535")
    return port


def _parse_flag(value: str | bool) -> bool:
    if isinstance(value, bool):
        return value
    text = value.strip().lower()
    if text in ("1", "true", "yes", "on"):
        return True
    if text in ("0", "false", "no", "off", ""):
        return False
    raise ConfigurationError(f"{value!r} is not a yes/no value (use true or false)")


def _setting(default: Any, parse: Callable[[Any], Any], help: str, *, secret: bool = False) -> Any:
    return setting(default, parse, help, secret=secret)


@dataclass(frozen=True, slots=True)
class WebSettings:
    tokens: tuple[str, ...] = _setting(
        (), _parse_tokens, "comma-separated read-only bearer tokens", secret=True
    )
    admin_tokens: tuple[str, ...] = _setting(
        (),
        _parse_tokens,
        "comma-separated admin bearer tokens (enqueue, retry, cancel, prune)",
        secret=True,
    )
    secret: str | None = _setting(
        None,
        _parse_secret,
        "key that signs customer status links and dashboard forms; without it, status links "
        "cannot be made and form protection lasts only as long as the process",
        secret=True,
    )
    host: str = _setting("127.0.0.1", str, "address `cargohold serve` binds to")
    port: int = _setting(8000, _parse_port, "port `cargohold serve` listens on")
    max_body: int | None = _setting(
        None,
        parse_optional_size,
        "largest accepted request body (default: the store's max_payload plus 64KiB)",
    )
    stream_interval: float = _setting(
        0.5, parse_duration, "how often a live progress stream reads the job again"
    )
    signed_status_only: bool = _setting(
        False,
        _parse_flag,
        "customer status needs a signed link (or a token), not just the job id",
    )

    def __post_init__(self) -> None:
        if self.stream_interval <= 0:
            raise ConfigurationError("stream_interval must be > 0")
        shared = set(self.tokens) & set(self.admin_tokens)
        if shared:
            raise ConfigurationError(
                "a token is listed both as read-only and as admin; list it in one place"
            )

    def __repr__(self) -> str:  # never print secrets
        shown = {
            spec.name: ("***" if spec.metadata["secret"] else getattr(self, spec.name))
            for spec in dataclasses.fields(self)
        }
        return "WebSettings(" + ", ".join(f"{k}={v!r}" for k, v in shown.items()) + ")"

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: Any) -> WebSettings:
        """Settings from `CARGOHOLD_WEB_*` variables, then `overrides` (None means not given)."""
        environ = os.environ if environ is None else environ
        return cls(**read_fields(cls, environ, overrides, web_env_var, lambda name: name))


def web_env_var(name: str) -> str:
    return WEB_ENV_PREFIX + name.upper()


def describe_web() -> list[tuple[str, str, Any, bool]]:
    """(name, help, default, secret) of every web setting, for the CLI and the docs."""
    return [
        (spec.name, spec.metadata["help"], spec.default, spec.metadata["secret"])
        for spec in dataclasses.fields(WebSettings)
    ]
