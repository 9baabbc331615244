import pytest

from cargohold.errors import ConfigurationError
from cargohold.settings import Settings


def test_defaults() -> None:
    settings = Settings.from_env({})
    assert settings.store == "sqlite:///cargohold.db" and settings.queues is None
    assert settings.lease >= 3 * settings.heartbeat


def test_environment_then_overrides() -> None:
    env = {
        "CARGOHOLD_CONCURRENCY": "4",
        "CARGOHOLD_LEASE": "2m",
        "CARGOHOLD_QUEUES": "a, b",
        "CARGOHOLD_MAX_PAYLOAD": "2MB",
    }
    settings = Settings.from_env(env, concurrency="8")
    assert settings.concurrency == 8 and settings.lease == 120
    assert settings.queues == ("a", "b") and settings.max_payload == 2_000_000


def test_errors_name_their_source() -> None:
    with pytest.raises(ConfigurationError, match="CARGOHOLD_LEASE: 'soon' is not a duration"):
        Settings.from_env({"CARGOHOLD_LEASE": "soon"})
    with pytest.raises(ConfigurationError, match="--concurrency"):
        Settings.from_env({}, concurrency="0")


def test_lease_must_outlast_three_heartbeats() -> None:
    with pytest.raises(ConfigurationError, match="at least 3 x heartbeat"):
        Settings.from_env({"CARGOHOLD_LEASE": "10s", "CARGOHOLD_HEARTBEAT": "5s"})
