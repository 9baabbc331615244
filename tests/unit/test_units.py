import pytest

from cargohold.errors import ConfigurationError
from cargohold.units import format_duration, format_size, parse_duration, parse_size


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("30s", 30),
        ("10m", 600),
        ("1h30m", 5400),
        ("250ms", 0.25),
        ("7d", 604800),
        ("1.5h", 5400),
        ("2", 2),
        (" 5 s ", 5),
        (12, 12),
        (0.5, 0.5),
        ("1h 30m", 5400),
    ],
)
def test_parse_duration(text: str, seconds: float) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "fast", "10x", "m5", "-3s", "5s later", True])
def test_parse_duration_refuses_nonsense_with_an_example(text: object) -> None:
    with pytest.raises(ConfigurationError) as error:
        parse_duration(text)  # type: ignore[arg-type]
    assert repr(text) in str(error.value) or "negative" in str(error.value)


@pytest.mark.parametrize(
    ("text", "size"),
    [
        ("512MB", 512_000_000),
        ("300MiB", 300 * 1024**2),
        ("1.5G", 1_500_000_000),
        ("1024", 1024),
        ("2 gib", 2 * 1024**3),
        (4096, 4096),
        ("10k", 10_000),
    ],
)
def test_parse_size(text: str, size: int) -> None:
    assert parse_size(text) == size


@pytest.mark.parametrize("text", ["lots", "12 parsecs", "-1MB", ""])
def test_parse_size_refuses_nonsense(text: str) -> None:
    with pytest.raises(ConfigurationError):
        parse_size(text)


def test_formatting() -> None:
    assert format_duration(0.25) == "250ms"
    assert format_duration(12.34) == "12.3s"
    assert format_duration(245) == "4m05s"
    assert format_duration(7800) == "2h10m"
    assert format_size(300 * 1024**2) == "300.0 MiB"
    assert format_size(100) == "100 B"
