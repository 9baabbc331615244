"""The web settings: read from `CARGOHOLD_WEB_*` variables, then from arguments, each value
checked, and every error naming where the value came from."""

from __future__ import annotations

import pytest

from cargohold.errors import ConfigurationError
from cargohold.web.settings import WebSettings, describe_web

TOKEN = "t" * 16
ADMIN = "a" * 20


def test_defaults() -> None:
    settings = WebSettings.from_env({})
    assert (settings.tokens, settings.admin_tokens, settings.secret) == ((), (), None)
    assert (settings.host, settings.port, settings.max_body) == ("127.0.0.1", 8000, None)
    assert (settings.stream_interval, settings.signed_status_only) == (0.5, False)


def test_environment_then_arguments() -> None:
    env = {
        "CARGOHOLD_WEB_TOKENS": f" {TOKEN}, ,{TOKEN}x ",
        "CARGOHOLD_WEB_ADMIN_TOKENS": ADMIN,
        "CARGOHOLD_WEB_SECRET": "s" * 16,
        "CARGOHOLD_WEB_PORT": "9000",
        "CARGOHOLD_WEB_MAX_BODY": "2MiB",
        "CARGOHOLD_WEB_STREAM_INTERVAL": "250ms",
        "CARGOHOLD_WEB_SIGNED_STATUS_ONLY": "yes",
    }
    settings = WebSettings.from_env(env, port="9001", host=None)
    assert settings.tokens == (TOKEN, f"{TOKEN}x") and settings.admin_tokens == (ADMIN,)
    assert settings.port == 9001 and settings.host == "127.0.0.1"
    assert settings.max_body == 2 * 1024 * 1024 and settings.stream_interval == 0.25
    assert settings.signed_status_only is True
    assert WebSettings.from_env({"CARGOHOLD_WEB_MAX_BODY": ""}).max_body is None


@pytest.mark.parametrize(
    ("env", "overrides", "message"),
    [
        ({"CARGOHOLD_WEB_PORT": "http"}, {}, "CARGOHOLD_WEB_PORT: 'http' is not a port number"),
        ({}, {"port": 70000}, "port: port 70000 is not between 0 and 65535"),
        ({"CARGOHOLD_WEB_TOKENS": "short"}, {}, "CARGOHOLD_WEB_TOKENS: a token of 5 characters"),
        ({}, {"admin_tokens": ("é" * 16,)}, "admin_tokens: tokens must be printable ASCII"),
        ({"CARGOHOLD_WEB_SECRET": "s" * 8}, {}, "CARGOHOLD_WEB_SECRET: the secret is 8 char"),
        ({"CARGOHOLD_WEB_SIGNED_STATUS_ONLY": "maybe"}, {}, "'maybe' is not a yes/no value"),
        ({"CARGOHOLD_WEB_STREAM_INTERVAL": "0"}, {}, "stream_interval must be > 0"),
        ({"CARGOHOLD_WEB_MAX_BODY": "lots"}, {}, "CARGOHOLD_WEB_MAX_BODY: "),
        (
            {"CARGOHOLD_WEB_TOKENS": TOKEN, "CARGOHOLD_WEB_ADMIN_TOKENS": TOKEN},
            {},
            "listed both as read-only and as admin",
        ),
    ],
)
def test_bad_values_name_their_source(
    env: dict[str, str], overrides: dict[str, object], message: str
) -> None:
    with pytest.raises(ConfigurationError, match=message):
        WebSettings.from_env(env, **overrides)


def test_secrets_are_never_shown() -> None:
    settings = WebSettings(tokens=(TOKEN,), admin_tokens=(ADMIN,), secret="s" * 16)
    shown = repr(settings)
    assert TOKEN not in shown and ADMIN not in shown and "s" * 16 not in shown
    assert "port=8000" in shown


def test_describe_web_marks_the_secrets() -> None:
    described = {name: (default, secret) for name, _, default, secret in describe_web()}
    assert described["port"] == (8000, False)
    assert {name for name, (_, secret) in described.items() if secret} == {
        "tokens",
        "admin_tokens",
        "secret",
    }
