"""Simulated time: when events happen (arrival times by shift profile) and how each format writes a time.

Nothing here reads the wall clock. Arrivals are a Poisson process per source whose rate
follows the source's daily and weekly profile in the plant's local time; times are integer
microseconds since the epoch (UTC). The formatters turn a whole numpy array of times into
strings at once, computing calendar parts with integer arithmetic and formatting each
distinct day only once, because per-event ``datetime`` calls would cost more than the
rest of the line.
"""

# ruff: noqa: UP031 - lines are filled from precomputed %-templates, the fastest formatting per event
from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import numpy.typing as npt

I64 = npt.NDArray[np.int64]
US = 1_000_000
HOUR_US = 3600 * US
DAY_US = 86400 * US
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def _weekday_table(early: float, late: float, night: float, weekend: float) -> list[list[float]]:
    day = [night] * 6 + [early] * 8 + [late] * 8 + [night] * 2
    return [day] * 5 + [[weekend] * 24] * 2


def _office_table() -> list[list[float]]:
    day = [0.08] * 7 + [1.0] * 11 + [0.08] * 6
    return [day] * 5 + [[0.05] * 24] * 2


#: hourly activity factors by local weekday (Monday first) and hour, per profile (docs/simulator.md)
PROFILES: dict[str, list[list[float]]] = {
    "flat": [[1.0] * 24] * 7,
    "shift": _weekday_table(early=1.0, late=0.8, night=0.4, weekend=0.25),
    "mixed": _weekday_table(early=1.0, late=0.9, night=0.7, weekend=0.6),
    "office": _office_table(),
    # engineering sessions: only in the weekly PLC maintenance window, Wednesday 10:00-14:00
    "maintenance": [[0.0] * 24] * 2 + [[0.0] * 10 + [1.0] * 4 + [0.0] * 10] + [[0.0] * 24] * 4,
}
PROFILE_MEAN = {name: sum(map(sum, table)) / 168 for name, table in PROFILES.items()}


class PlantClock:
    """The plant's time zone, profile lookups and time formatters."""

    def __init__(self, zone: str) -> None:
        self.zone = ZoneInfo(zone)
        self._offset_cache: dict[int, int] = {}
        self._date_cache: dict[tuple[int, str], str] = {}

    # -- arrivals ----------------------------------------------------------------------------
    def offset_s(self, t_us: int) -> int:
        """UTC offset of the plant's zone at an instant, in seconds (cached per UTC hour)."""
        hour = t_us // HOUR_US
        off = self._offset_cache.get(hour)
        if off is None:
            dt = datetime.fromtimestamp(hour * 3600, self.zone)
            delta = dt.utcoffset() or timedelta(0)
            off = self._offset_cache[hour] = int(delta.total_seconds())
        return off

    def factor(self, profile: str, t_us: int) -> float:
        """The profile's activity factor at an instant, relative to its weekly mean."""
        local = datetime.fromtimestamp(t_us / US, self.zone)
        return PROFILES[profile][local.weekday()][local.hour] / PROFILE_MEAN[profile]

    def local_hour_weekday(self, t: I64) -> tuple[I64, I64]:
        lt = self._local(t)
        days = lt // DAY_US
        return (lt // HOUR_US) % 24, (days + 3) % 7  # 1970-01-01 was a Thursday

    @staticmethod
    def arrivals(rng: np.random.Generator, rate: float, w0: int, length: int) -> I64:
        """Sorted event times in ``[w0, w0 + length)`` for a Poisson process of ``rate``/s."""
        n = int(rng.poisson(rate * length / US))
        t = rng.integers(w0, w0 + length, n, dtype=np.int64)
        t.sort()
        return t

    # -- formatting --------------------------------------------------------------------------
    def _local(self, t: I64) -> I64:
        if len(t) == 0:
            return t
        first, last = self.offset_s(int(t[0])), self.offset_s(int(t[-1]))
        if first == last:
            return t + first * US
        offs = np.array([self.offset_s(int(x)) for x in t], dtype=np.int64)
        return t + offs * US

    def _offsets(self, t: I64) -> list[int]:
        if len(t) == 0:
            return []
        first, last = self.offset_s(int(t[0])), self.offset_s(int(t[-1]))
        if first == last:
            return [first] * len(t)
        return [self.offset_s(int(x)) for x in t]

    def _dates(self, t: I64, style: str) -> list[str]:
        days = t // DAY_US
        uniq, inv = np.unique(days, return_inverse=True)
        names = []
        for d in uniq.tolist():
            key = (d, style)
            s = self._date_cache.get(key)
            if s is None:
                dt = datetime(1970, 1, 1) + timedelta(days=d)
                if style == "bsd":
                    s = f"{MONTHS[dt.month - 1]} {dt.day:2d}"
                elif style == "asa":
                    s = f"{MONTHS[dt.month - 1]} {dt.day:02d} {dt.year}"
                elif style == "slash":
                    s = dt.strftime("%Y/%m/%d")
                else:
                    s = dt.strftime("%Y-%m-%d")
                self._date_cache[key] = s
            names.append(s)
        return [names[i] for i in inv.tolist()]

    @staticmethod
    def _hms(t: I64) -> tuple[list[int], list[int], list[int], list[int]]:
        sod = (t // US) % 86400
        return ((sod // 3600).tolist(), ((sod // 60) % 60).tolist(), (sod % 60).tolist(), (t % US).tolist())

    def iso_utc(self, t: I64, digits: int = 6) -> list[str]:
        """``2026-11-23T07:00:00.123456Z`` (3, 6 or 7 fraction digits)."""
        d = self._dates(t, "iso")
        h, m, s, us = self._hms(t)
        if digits == 3:
            return ["%sT%02d:%02d:%02d.%03dZ" % (a, b, c, e, f // 1000) for a, b, c, e, f in zip(d, h, m, s, us)]
        fmt = "%sT%02d:%02d:%02d.%06d0Z" if digits == 7 else "%sT%02d:%02d:%02d.%06dZ"
        return [fmt % x for x in zip(d, h, m, s, us)]

    def iso_local(self, t: I64, colon: bool = True) -> list[str]:
        """``2026-11-23T08:00:00.123456+01:00`` (``+0100`` without ``colon``, as Suricata writes)."""
        lt = self._local(t)
        d = self._dates(lt, "iso")
        h, m, s, us = self._hms(lt)
        zones = [_offset_text(o, colon) for o in self._offsets(t)]
        return ["%sT%02d:%02d:%02d.%06d%s" % x for x in zip(d, h, m, s, us, zones)]

    def local_parts(self, t: I64, style: str) -> tuple[list[str], list[str]]:
        """(local date in ``style``: bsd ``Nov 23``, asa ``Nov 23 2026``, slash, iso; ``HH:MM:SS``)."""
        lt = self._local(t)
        d = self._dates(lt, style)
        h, m, s, _ = self._hms(lt)
        return d, ["%02d:%02d:%02d" % x for x in zip(h, m, s)]

    def offsets_text(self, t: I64, colon: bool) -> list[str]:
        return [_offset_text(o, colon) for o in self._offsets(t)]

    @staticmethod
    def epoch(t: I64) -> list[str]:
        """Zeek's ``1795773600.123456``."""
        return ["%d.%06d" % x for x in zip((t // US).tolist(), (t % US).tolist())]


def _offset_text(seconds: int, colon: bool) -> str:
    sign = "-" if seconds < 0 else "+"
    h, m = divmod(abs(seconds) // 60, 60)
    return f"{sign}{h:02d}:{m:02d}" if colon else f"{sign}{h:02d}{m:02d}"


def parse_start(text: str, zone: str) -> int:
    """``--start``: RFC 3339 or ``YYYY-MM-DDTHH:MM:SS`` (then in the plant's zone), as epoch µs."""
    dt = datetime.fromisoformat(text)
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=ZoneInfo(zone))
    return int(dt.astimezone(UTC).timestamp()) * US + dt.microsecond


def parse_duration(text: str) -> int:
    """``--duration``: ``90s``, ``10m``, ``24h``, ``30d`` (simulated time), as µs."""
    units = {"s": 1, "m": 60, "h": 3600, "d": 86400}
    text = text.strip()
    if not text or text[-1] not in units or not text[:-1].isdigit() or int(text[:-1]) <= 0:
        raise ValueError(f"duration {text!r}: expected a positive number with s, m, h or d (10m, 24h, 30d)")
    return int(text[:-1]) * units[text[-1]] * US
