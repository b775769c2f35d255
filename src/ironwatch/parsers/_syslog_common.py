"""What the syslog parsers share: PRI tables, civil-time arithmetic, RFC 3339 reading.

RFC 5424 and RFC 3164 both start with ``<PRI>`` and both name times in calendar terms; the
JSON lines parser reads the same RFC 3339 text. Everything here works on ints (epoch
microseconds, UTC) rather than datetimes, because it runs once per event; datetimes are
touched only to ask a ``ZoneInfo`` for its UTC offset, and those answers are cached per
minute. Helpers raise ``ParseError`` themselves, so they take the calling parser's name.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from ..errors import ParseError

FACILITY_NAMES = (
    "kern", "user", "mail", "daemon", "auth", "syslog", "lpr", "news", "uucp", "cron",
    "authpriv", "ftp", "ntp", "security", "console", "solaris-cron",
    "local0", "local1", "local2", "local3", "local4", "local5", "local6", "local7",
)
SEVERITY_NAMES = (
    "emergency", "alert", "critical", "error", "warning", "notice", "informational", "debug",
)
MAX_PRI = len(FACILITY_NAMES) * 8 - 1  # 191

#: the ``log.syslog`` priority fields for every PRI value, built once and ``update``-ed in
PRIORITY_FIELDS: tuple[dict[str, Any], ...] = tuple(
    {
        "log.syslog.priority": pri,
        "log.syslog.facility.code": pri >> 3,
        "log.syslog.facility.name": FACILITY_NAMES[pri >> 3],
        "log.syslog.severity.code": pri & 7,
        "log.syslog.severity.name": SEVERITY_NAMES[pri & 7],
    }
    for pri in range(MAX_PRI + 1)
)

MINUTE_US = 60_000_000
DAY_US = 86_400_000_000
#: first instant of year 10000: later times are not times any source writes
MAX_US = 253_402_300_800_000_000


def parse_pri(text: str, parser: str) -> tuple[int, int]:
    """The PRI value at the start of ``text`` and the index just after its ``>``."""
    if not text.startswith("<"):
        raise ParseError("missing PRI: message does not start with '<'", parser=parser)
    close = text.find(">", 1, 5)
    if close < 0:
        raise ParseError(f"invalid PRI: no '>' after at most 3 digits in {text[:6]!r}",
                         parser=parser)
    digits = text[1:close]
    if not (digits.isascii() and digits.isdigit()):
        raise ParseError(f"invalid PRI {text[:close + 1]!r}: not a number", parser=parser)
    pri = int(digits)
    if pri > MAX_PRI:
        raise ParseError(f"invalid PRI {pri}: out of range 0..{MAX_PRI}", parser=parser)
    return pri, close + 1


# --- calendar arithmetic ---------------------------------------------------------------

_DAYS_IN_MONTH = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def is_leap(year: int) -> bool:
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)


def days_in_month(year: int, month: int) -> int:
    if month == 2 and is_leap(year):
        return 29
    return _DAYS_IN_MONTH[month - 1]


def days_from_civil(year: int, month: int, day: int) -> int:
    """Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm)."""
    year -= month <= 2
    era = year // 400
    yoe = year - era * 400
    doy = (153 * (month + (-3 if month > 2 else 9)) + 2) // 5 + day - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    return era * 146_097 + doe - 719_468


def civil_us(year: int, month: int, day: int, day_us: int) -> int:
    """A date and a time of day (µs since midnight) read as if UTC, in epoch microseconds."""
    return days_from_civil(year, month, day) * DAY_US + day_us


def fraction_us(digits: str | None) -> int:
    """Fractional-second digits as microseconds; digits past the sixth are truncated."""
    if not digits:
        return 0
    return int(digits[:6].ljust(6, "0"))


# --- time zones --------------------------------------------------------------------------

_EPOCH_NAIVE = datetime(1970, 1, 1)
_EPOCH_UTC = datetime(1970, 1, 1, tzinfo=timezone.utc)


def _is_utc(zone: ZoneInfo) -> bool:
    return zone.key in ("UTC", "Etc/UTC")


@lru_cache(maxsize=8192)
def _offset_us_for_local_minute(zone: ZoneInfo, local_minute: int) -> int:
    # Offsets only change on whole minutes (for any zone rule in use since 1900), so one
    # answer per local minute is exact. fold=0: ambiguous times take the earlier offset.
    wall = (_EPOCH_NAIVE + timedelta(minutes=local_minute)).replace(tzinfo=zone)
    offset = wall.utcoffset()
    assert offset is not None  # a ZoneInfo always answers
    return (offset.days * 86_400 + offset.seconds) * 1_000_000


def local_to_utc_us(wall_us: int, zone: ZoneInfo) -> int:
    """A wall-clock time in ``zone`` (epoch µs read as UTC) as a real UTC instant."""
    if _is_utc(zone):
        return wall_us
    return wall_us - _offset_us_for_local_minute(zone, wall_us // MINUTE_US)


def year_in_zone(utc_us: int, zone: ZoneInfo) -> int:
    """The calendar year it is in ``zone`` at ``utc_us``."""
    if _is_utc(zone):
        return _year_of_day(utc_us // DAY_US)
    return (_EPOCH_UTC + timedelta(microseconds=utc_us)).astimezone(zone).year


def _year_of_day(days: int) -> int:
    """The proleptic Gregorian year of a day number counted from 1970-01-01."""
    z = days + 719_468
    era = z // 146_097
    doe = z - era * 146_097
    yoe = (doe - doe // 1460 + doe // 36_524 - doe // 146_096) // 365
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
    mp = (5 * doy + 2) // 153
    return yoe + era * 400 + (1 if mp >= 10 else 0)


# --- RFC 3339 ----------------------------------------------------------------------------

#: RFC 5424 section 6.2.3: uppercase T and Z, an offset always, at most 6 fraction digits
#: (more are accepted and truncated); groups: date, clock, fraction, zone
RFC3339_STRICT = re.compile(
    r"(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2}:\d{2})(?:\.(\d+))?(Z|[+-]\d{2}:\d{2})", re.ASCII)
#: ISO 8601 as senders really write it: T or space, optional zone, offsets with or without ':'
RFC3339_LENIENT = re.compile(
    r"(\d{4}-\d{2}-\d{2})[Tt ](\d{2}:\d{2}:\d{2})(?:[.,](\d+))?"
    r"([Zz]|[+-]\d{2}(?::?\d{2})?)?", re.ASCII)


def rfc3339_parts(m: re.Match[str], parser: str) -> tuple[int, int | None]:
    """``(wall_us, offset_us)`` of a matched RFC 3339 time; ``offset_us`` None when zone-less.

    ``wall_us`` is the written wall-clock time read as UTC; the UTC instant is
    ``wall_us - offset_us`` when there is an offset.
    """
    date, clock, fraction, zone = m.groups()
    day = epoch_day(date)
    if day is None:
        raise ParseError(f"invalid date in timestamp {m.group(0)!r}", parser=parser)
    wall = day * DAY_US + clock_us(clock, m.group(0), parser) + fraction_us(fraction)
    if zone is None:
        return wall, None
    offset = utc_offset_us(zone)
    if offset is None:
        raise ParseError(f"invalid UTC offset in timestamp {m.group(0)!r}", parser=parser)
    return wall, offset


@lru_cache(maxsize=4096)
def epoch_day(date: str) -> int | None:
    """Days since 1970-01-01 of ``YYYY-MM-DD`` (ASCII digits), None if no such date."""
    year, month, day = int(date[:4]), int(date[5:7]), int(date[8:10])
    if year == 0 or not 1 <= month <= 12 or not 1 <= day <= days_in_month(year, month):
        return None
    return days_from_civil(year, month, day)


@lru_cache(maxsize=1 << 16)
def _clock_us(clock: str) -> int | None:
    hour, minute, second = int(clock[:2]), int(clock[3:5]), int(clock[6:8])
    if hour > 23 or minute > 59 or second > 59:
        return None
    return (hour * 3600 + minute * 60 + second) * 1_000_000


def clock_us(clock: str, stamp: str, parser: str) -> int:
    """Microseconds since midnight of ``hh:mm:ss`` (ASCII digits) found in ``stamp``."""
    us = _clock_us(clock)
    if us is None:
        raise ParseError(f"invalid time of day in timestamp {stamp!r}", parser=parser)
    return us


@lru_cache(maxsize=256)
def utc_offset_us(zone: str) -> int | None:
    """``Z``, ``±hh``, ``±hhmm`` or ``±hh:mm`` as microseconds east of UTC; None if invalid."""
    if zone in ("Z", "z"):
        return 0
    hours = int(zone[1:3])
    minutes = int(zone[-2:]) if len(zone) > 3 else 0
    if hours > 23 or minutes > 59:
        return None
    offset = (hours * 60 + minutes) * MINUTE_US
    return -offset if zone[0] == "-" else offset


__all__ = [
    "DAY_US", "FACILITY_NAMES", "MAX_US", "PRIORITY_FIELDS", "RFC3339_LENIENT",
    "RFC3339_STRICT", "SEVERITY_NAMES", "civil_us", "clock_us", "days_in_month", "epoch_day",
    "fraction_us", "is_leap", "local_to_utc_us", "parse_pri", "rfc3339_parts",
    "utc_offset_us", "year_in_zone",
]
