"""Time as Ironwatch carries it: integers of microseconds since the Unix epoch, UTC.

Events move through the pipeline as flat dicts; their times are ints so that a batch
converts to Arrow ``timestamp[us, UTC]`` without building a datetime per event.
"""

from __future__ import annotations

import re
import time
from datetime import datetime, timedelta, timezone

from .errors import ConfigError

UTC = timezone.utc
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def now_us() -> int:
    return time.time_ns() // 1000


def to_us(dt: datetime) -> int:
    """A timezone-aware datetime as epoch microseconds."""
    delta = dt - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def from_us(us: int) -> datetime:
    return _EPOCH + timedelta(microseconds=us)


def iso(us: int) -> str:
    """RFC 3339 text with microseconds and a Z, as the CLI and API print times."""
    return from_us(us).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(us|ms|s|m|h|d|w)\s*$")
_UNIT_US = {"us": 1, "ms": 1_000, "s": 1_000_000, "m": 60_000_000, "h": 3_600_000_000,
            "d": 86_400_000_000, "w": 604_800_000_000}


def parse_duration_us(text: str) -> int:
    """``10m``, ``24h``, ``30d``, ``500ms`` as microseconds."""
    m = _DURATION.match(text)
    if not m:
        raise ConfigError(f"not a duration: {text!r} (use e.g. 30s, 10m, 24h, 7d)")
    return int(float(m.group(1)) * _UNIT_US[m.group(2)])


def parse_time_arg(text: str, now: int | None = None) -> int:
    """A CLI time: RFC 3339 / ISO 8601 (naive means UTC), epoch seconds, ``now``, or ``-15m``."""
    now = now_us() if now is None else now
    t = text.strip()
    if t == "now":
        return now
    if t.startswith("-"):
        return now - parse_duration_us(t[1:])
    if re.fullmatch(r"\d{9,}(\.\d+)?", t):
        return int(float(t) * 1_000_000)
    try:
        dt = datetime.fromisoformat(t.replace("Z", "+00:00"))
    except ValueError as exc:
        # Short digit strings ("0", "86400") are epoch seconds too; only those that read as
        # an ISO basic date ("20240101") are taken as dates, above.
        if re.fullmatch(r"\d+(\.\d+)?", t):
            return int(float(t) * 1_000_000)
        raise ConfigError(f"not a time: {text!r} (use RFC 3339, epoch seconds, now, or -15m)") from exc
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return to_us(dt)
