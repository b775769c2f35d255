"""BSD syslog (RFC 3164) as devices really send it: ``[<PRI>][TIMESTAMP ][HOST ][TAG: ]MSG``.

Accepted deviations: no PRI (lines from log files); a day padded with a space or not; a year
between day and time (``Jun 14 2026 15:16:01``), fractional seconds and a trailing colon
(Cisco); an ISO 8601 / RFC 3339 time instead of the BSD one; no host name; tags written
``tag[pid]:``, ``tag:``, ``tag(detail)[pid]:``, ``tag 1.4.1:`` (sysklogd) or two words
``-- root[2421]:`` (login); no tag at all. A time without a zone is the sender's local
time, in the zone configured for its host name (recorded in ``event.timezone``); a missing
year is inferred so that the event is never more than a day after its receipt. A line
with a PRI but no time gets the receipt time; a line with neither is refused, as is a time
that looks like one but is not valid, so no event ever carries a made-up time.
"""

from __future__ import annotations

import re
from zoneinfo import ZoneInfo

from ..errors import ParseError
from ..event import Event
from ._syslog_common import (
    DAY_US, PRIORITY_FIELDS, RFC3339_LENIENT, civil_us, clock_us, days_in_month, fraction_us,
    is_leap, local_to_utc_us, parse_pri, rfc3339_parts, year_in_zone,
)
from .base import ParseContext

NAME = "rfc3164"

_MONTHS = {name: number for number, name in enumerate(
    ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"),
    start=1)}

# Mmm dd [yyyy] hh:mm:ss[.frac][:] — month checked against _MONTHS after the match
_BSD_TIME = re.compile(
    r"([A-Za-z]{3}) {1,2}(\d{1,2}) (?:(\d{4}) )?(\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?:?(?= |$)",
    re.ASCII)
_ISO_TIME = re.compile(RFC3339_LENIENT.pattern + r"(?= |$)", re.ASCII)
# tag[pid]:  tag:  tag 1.4.1:  — one word; the pid form needs no space after the colon
_TAG = re.compile(
    r"([^\s\[\]:]{1,128})(?:\[([^\[\]\s]{0,64})\]:|(?: \d+(?:\.\d+)+)?:(?= |$)) ?", re.ASCII)
# two words, only when a [pid] follows (login's "-- root[2421]:")
_TWO_WORD_TAG = re.compile(
    r"([^\s\[\]:]{1,64} [^\s\[\]:]{1,64})\[([^\[\]\s]{1,64})\]: ?", re.ASCII)


class Rfc3164Parser:
    """Reads one BSD syslog line into ECS ``log.syslog.*``, ``host.*`` and ``process.*``."""

    name = NAME

    def parse(self, raw: bytes, ctx: ParseContext) -> Event:
        text = raw.decode("utf-8", "replace").rstrip("\r\n\x00").lstrip()
        if not text:
            raise ParseError("empty message", parser=NAME)
        event: Event = {"@timestamp": ctx.received_us}
        has_pri = text[0] == "<"
        body = text
        if has_pri:
            pri, start = parse_pri(text, NAME)
            event.update(PRIORITY_FIELDS[pri])
            body = text[start:]
            if not body.strip():
                raise ParseError(f"nothing after PRI <{pri}>", parser=NAME)
        event["log.syslog.format"] = NAME

        rest = _read_time_and_host(body, event, ctx)
        if rest is None:
            if not has_pri:
                raise ParseError("neither a PRI nor a timestamp at the start: not syslog",
                                 parser=NAME)
            rest = body
        _read_tag_and_message(rest, event)
        return event


def _read_time_and_host(body: str, event: Event, ctx: ParseContext) -> str | None:
    """Sets ``@timestamp`` and the host fields; the text after them, or None without a time."""
    stamp = _BSD_TIME.match(body) or _ISO_TIME.match(body)
    if stamp is None:
        return None
    rest = body[stamp.end():].lstrip(" ")
    host: str | None = None
    token = rest.split(" ", 1)[0]
    if token and not token.endswith(":") and "[" not in token:
        host = token
        event["host.name"] = event["log.syslog.hostname"] = host
        rest = rest[len(token):].lstrip(" ")

    if stamp.re is _BSD_TIME:
        event["@timestamp"] = _bsd_time_us(stamp, host, event, ctx)
    else:
        wall_us, offset_us = rfc3339_parts(stamp, NAME)
        if offset_us is None:
            event["@timestamp"] = _local_us(wall_us, host, event, ctx)
        else:
            event["@timestamp"] = wall_us - offset_us
    return rest


def _local_us(wall_us: int, host: str | None, event: Event, ctx: ParseContext) -> int:
    zone = ctx.zone_for_host(host)
    event["event.timezone"] = zone.key
    return local_to_utc_us(wall_us, zone)


def _bsd_time_us(m: re.Match[str], host: str | None, event: Event, ctx: ParseContext) -> int:
    month_name, day_text, year_text, clock, fraction = m.groups()
    month = _MONTHS.get(month_name.title())
    if month is None:
        raise ParseError(f"unknown month {month_name!r} in timestamp {m.group(0)!r}",
                         parser=NAME)
    day = int(day_text)
    day_us = clock_us(clock, m.group(0), NAME) + fraction_us(fraction)
    year = int(year_text) if year_text else 2000  # without a year: 2000 allows Feb 29
    if year == 0 or not 1 <= day <= days_in_month(year, month):
        raise ParseError(f"invalid date in timestamp {m.group(0)!r}", parser=NAME)
    zone = ctx.zone_for_host(host)
    event["event.timezone"] = zone.key
    if year_text:
        return local_to_utc_us(civil_us(year, month, day, day_us), zone)
    return infer_year_us(month, day, day_us, zone, ctx.received_us)


def infer_year_us(month: int, day: int, day_us: int, zone: ZoneInfo, received_us: int) -> int:
    """The instant of a year-less local time: the latest year that is at most a day ahead.

    ``day_us`` is the time of day in microseconds since local midnight. Candidates are the
    receipt year in ``zone`` and the years on either side of it; a 29 February is placed
    only in leap years. A December line received in early January thus lands in the
    previous year, a January line received late on 31 December in the next.
    """
    limit = received_us + DAY_US
    receipt_year = year_in_zone(received_us, zone)
    # receipt is before 1 January of the next year, so only 1 or 2 January can be a day ahead
    next_year_possible = month == 1 and day <= 2
    for year in (receipt_year + 1, receipt_year, receipt_year - 1):
        if year > receipt_year and not next_year_possible:
            continue
        if month == 2 and day == 29 and not is_leap(year):
            continue
        instant = local_to_utc_us(civil_us(year, month, day, day_us), zone)
        if instant <= limit:
            return instant
    raise ParseError(f"cannot place Feb 29 in a leap year near {receipt_year}", parser=NAME)


def _read_tag_and_message(rest: str, event: Event) -> None:
    tag = _TAG.match(rest) or _TWO_WORD_TAG.match(rest)
    if tag is not None:
        event["log.syslog.appname"] = event["process.name"] = tag.group(1)
        procid = tag.group(2)
        if procid:
            event["log.syslog.procid"] = procid
            if procid.isascii() and procid.isdigit():
                event["process.pid"] = int(procid)
        rest = rest[tag.end():]
    if rest:
        event["message"] = rest


__all__ = ["Rfc3164Parser", "infer_year_us"]
