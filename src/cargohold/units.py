"""Human forms for durations ("30s", "10m", "1h30m") and sizes ("512MB", "1.5GiB")."""

from __future__ import annotations

import re

from cargohold.errors import ConfigurationError

_DURATION_UNITS = {
    "ms": 0.001,
    "s": 1.0,
    "sec": 1.0,
    "m": 60.0,
    "min": 60.0,
    "h": 3600.0,
    "d": 86400.0,
    "w": 604800.0,
}
_DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)\s*(ms|sec|min|s|m|h|d|w)")

_SIZE_UNITS = {
    "": 1,
    "b": 1,
    "k": 1000,
    "kb": 1000,
    "kib": 1024,
    "m": 1000**2,
    "mb": 1000**2,
    "mib": 1024**2,
    "g": 1000**3,
    "gb": 1000**3,
    "gib": 1024**3,
    "t": 1000**4,
    "tb": 1000**4,
    "tib": 1024**4,
}
_SIZE = re.compile(r"(\d+(?:\.\d+)?)\s*([a-z]*)")


def parse_duration(value: str | float | int) -> float:
    """Seconds from a number of seconds or a human form such as "30s", "10m", "1h30m", "250ms"."""
    if isinstance(value, bool):
        raise ConfigurationError(f"{value!r} is not a duration")
    if isinstance(value, int | float):
        seconds = float(value)
    else:
        text = value.strip().lower()
        try:
            seconds = float(text)
        except ValueError:
            seconds = _parse_duration_parts(text, value)
    if seconds < 0:
        raise ConfigurationError(f"duration {value!r} is negative; durations must be >= 0")
    return seconds


def _parse_duration_parts(text: str, original: str) -> float:
    position, total = 0, 0.0
    for match in _DURATION_PART.finditer(text):
        if text[position : match.start()].strip():
            break
        total += float(match.group(1)) * _DURATION_UNITS[match.group(2)]
        position = match.end()
    if position == 0 or text[position:].strip():
        raise ConfigurationError(
            f"{original!r} is not a duration; use seconds or a form such as "
            "'250ms', '30s', '10m', '1h30m', '7d'"
        )
    return total


def parse_size(value: str | int | float) -> int:
    """Bytes from a number of bytes or a human form such as "512MB", "300MiB", "1.5G"."""
    if isinstance(value, bool):
        raise ConfigurationError(f"{value!r} is not a size")
    if isinstance(value, int | float):
        size = float(value)
    else:
        match = _SIZE.fullmatch(value.strip().lower())
        if match is None or match.group(2) not in _SIZE_UNITS:
            raise ConfigurationError(
                f"{value!r} is not a size; use bytes or a form such as '512MB', '300MiB', '2G'"
            )
        size = float(match.group(1)) * _SIZE_UNITS[match.group(2)]
    if size < 0:
        raise ConfigurationError(f"size {value!r} is negative")
    return int(size)


def format_size(size: int | float) -> str:
    """A short human form of a byte count: "300 MiB"."""
    amount = float(size)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if abs(amount) < 1024 or unit == "GiB":
            return f"{amount:.0f} {unit}" if unit in ("B", "KiB") else f"{amount:.1f} {unit}"
        amount /= 1024
    raise AssertionError("unreachable")


def format_duration(seconds: float) -> str:
    """A short human form of a duration: "850ms", "12.3s", "4m05s", "2h10m"."""
    if seconds < 1:
        return f"{seconds * 1000:.0f}ms"
    if seconds < 60:
        return f"{seconds:.1f}s"
    minutes, secs = divmod(round(seconds), 60)
    if minutes < 60:
        return f"{minutes}m{secs:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m"
