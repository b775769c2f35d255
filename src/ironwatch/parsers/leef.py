"""IBM LEEF 1.0 and 2.0: ``LEEF:1.0|Vendor|Product|Version|EventID|`` then attributes.

LEEF 1.0 separates ``key=value`` attributes with tabs; LEEF 2.0 names its separator in a
sixth header field (a character, or hex as ``x09``/``0x09``; empty means tab). Like CEF,
the record may follow a syslog header, read by the syslog parsers (``_envelope.read_syslog_envelope``).
A piece between separators without ``=`` belongs to the value before it (the sender did
not escape the separator). Every attribute is kept raw under ``leef.attributes.<key>``;
the common ones are mapped to ECS. ``devTime`` is read with ``devTimeFormat`` (Java
``SimpleDateFormat`` letters) when given, else as CEF reads device times; a time that
cannot be read is refused rather than replaced.
"""

from __future__ import annotations

import re
from typing import Callable
from functools import lru_cache

from ..errors import ParseError
from ..event import Event
from ._syslog_common import MAX_US
from .base import ParseContext
from ._envelope import SYSLOG_PREFIX, open_envelope
from .cef import (
    civil_time_us, device_time_us, map_fields, month_number, transport, zone_host,
)

NAME = "leef"

#: what the registry sniffs (and the columnar fast path refuses); see ``cef.DETECT``
DETECT = (SYSLOG_PREFIX + r"LEEF:\d(?:\.\d+)?\|").encode()

_START = re.compile(SYSLOG_PREFIX + r"(LEEF:(\d(?:\.\d+)?)\|)", re.ASCII | re.DOTALL)
_HEX_DELIMITER = re.compile(r"(?:0?[xX])([0-9A-Fa-f]{2,4})", re.ASCII)
_HEADER_NAMES = ("Vendor", "Product", "Version", "EventID")
_ECS_TEXT = {"usrName": "user.name", "srcMAC": "source.mac", "dstMAC": "destination.mac",
             "identHostName": "host.hostname", "url": "url.original", "action": "event.action",
             "msg": "message"}
_ECS_IP = {"src": "source.ip", "dst": "destination.ip", "srcPreNAT": "source.nat.ip",
           "dstPreNAT": "destination.nat.ip"}
_ECS_PORT = {"srcPort": "source.port", "dstPort": "destination.port"}
_ECS_INT = {"srcBytes": "source.bytes", "dstBytes": "destination.bytes",
            "srcPackets": "source.packets", "dstPackets": "destination.packets"}


class LeefParser:
    """Reads one LEEF record, bare or after a syslog header, into ECS and ``leef.*`` fields."""

    name = NAME

    def parse(self, raw: bytes, ctx: ParseContext) -> Event:
        text, m, event = open_envelope(raw, _START, ctx, NAME,
                                      "no 'LEEF:<version>|' at the start or after a syslog header")
        version = m.group(2)
        if version not in ("1.0", "2.0", "1", "2"):
            raise ParseError(f"unsupported LEEF version {version} (1.0 and 2.0 are known)",
                             parser=NAME)
        rest = text[m.end():]
        parts = rest.split("|", len(_HEADER_NAMES))
        if len(parts) < len(_HEADER_NAMES):
            raise ParseError(f"LEEF header ends before {_HEADER_NAMES[len(parts)]}"
                             " (expected Vendor|Product|Version|EventID|)", parser=NAME)
        vendor, product, device_version, event_id = parts[:4]
        attributes_text = parts[4] if len(parts) > 4 else ""
        delimiter = "\t"
        if version.startswith("2"):
            delimiter, attributes_text = _delimiter(attributes_text)
        event.update({
            "event.kind": "event", "event.dataset": NAME, "leef.version": version,
            "observer.vendor": vendor, "observer.product": product,
            "observer.version": device_version, "event.code": event_id,
        })
        if delimiter != "\t":
            event["leef.delimiter"] = delimiter
        attributes = parse_attributes(attributes_text, delimiter)
        for key, value in attributes.items():
            event[f"leef.attributes.{key}"] = value
        _map_ecs(attributes, event, ctx)
        return event


def _delimiter(text: str) -> tuple[str, str]:
    """LEEF 2.0's delimiter field and the attribute text after it."""
    field, bar, rest = text.partition("|")
    if not bar:
        raise ParseError("LEEF 2.0 header ends before its delimiter field", parser=NAME)
    if field == "":
        return "\t", rest
    if len(field) == 1:
        return field, rest
    hexa = _HEX_DELIMITER.fullmatch(field)
    if hexa is not None:
        code = int(hexa.group(1), 16)
        if 0 < code < 0xD800:
            return chr(code), rest
    raise ParseError(f"invalid LEEF 2.0 delimiter {field[:12]!r} (a character, x09 or 0x09)",
                     parser=NAME)


def parse_attributes(text: str, delimiter: str) -> dict[str, str]:
    """``key=value`` pieces separated by ``delimiter``; a later key given twice wins, empty
    pieces are skipped, and a piece without ``=`` continues the value before it."""
    pairs: dict[str, str] = {}
    last: str | None = None
    for piece in text.split(delimiter):
        if not piece:
            continue  # doubled or trailing separators
        key, eq, value = piece.partition("=")
        if eq and key and key.strip() == key:
            pairs[key] = value
            last = key
        elif last is not None:
            pairs[last] += delimiter + piece
        elif piece.strip():
            raise ParseError(f"LEEF attributes do not start with key=value: {piece[:40]!r}",
                             parser=NAME)
    return pairs


def _map_ecs(attrs: dict[str, str], event: Event, ctx: ParseContext) -> None:
    map_fields(attrs, event, _ECS_TEXT, _ECS_IP, _ECS_PORT)
    for key, field in _ECS_INT.items():
        number = attrs.get(key, "").strip()
        if number.isascii() and number.isdigit() and len(number) <= 18:
            event[field] = int(number)
    if attrs.get("usrName"):
        event["source.user.name"] = attrs["usrName"]
    if attrs.get("proto"):
        event["network.transport"] = transport(attrs["proto"])
    sev = attrs.get("sev", "").strip()
    if sev.isascii() and sev.isdigit() and int(sev) <= 10:
        event["event.severity"] = int(sev)
    if "devTime" in attrs:
        host = zone_host(event, attrs.get("identHostName"))
        fmt = attrs.get("devTimeFormat")
        if fmt:
            event["@timestamp"] = _formatted_time_us(attrs["devTime"], fmt, host, event, ctx)
        else:
            event["@timestamp"] = device_time_us(attrs["devTime"], "devTime", host, event, ctx,
                                                 NAME)


# --- devTimeFormat (java.text.SimpleDateFormat) ------------------------------------------

_FORMAT_TOKEN = re.compile(r"'([^']*)'|([A-Za-z])\2*|(.)", re.DOTALL)
_ZONE = r"(?P<zone>Z|[+-]\d{2}:?\d{2}|[A-Za-z][A-Za-z0-9/_+-]*)"
_LETTERS: dict[str, Callable[[int], str]] = {
    "y": lambda n: r"(?P<year>\d{4})" if n != 2 else r"(?P<year2>\d{2})",
    "M": lambda n: r"(?P<mon>[A-Za-z]{3,9})" if n >= 3 else r"(?P<month>\d{1,2})",
    "d": lambda n: r"(?P<day>\d{1,2})",
    "H": lambda n: r"(?P<hour>\d{1,2})",
    "h": lambda n: r"(?P<hour12>\d{1,2})",
    "a": lambda n: r"(?P<ampm>[AaPp][Mm])",
    "m": lambda n: r"(?P<minute>\d{1,2})",
    "s": lambda n: r"(?P<second>\d{1,2})",
    "S": lambda n: r"(?P<fraction>\d{1,9})",
    "E": lambda n: r"[A-Za-z]{2,9}",
    "z": lambda n: _ZONE, "Z": lambda n: _ZONE, "X": lambda n: _ZONE,
}


@lru_cache(maxsize=64)
def _format_regex(fmt: str) -> re.Pattern[str]:
    parts: list[str] = []
    for m in _FORMAT_TOKEN.finditer(fmt):
        quoted, letter, other = m.groups()
        if quoted is not None:
            parts.append(re.escape(quoted) if quoted else "'")
        elif letter is not None:
            build = _LETTERS.get(letter)
            if build is None:
                raise ParseError(f"devTimeFormat letter {letter!r} is not supported", parser=NAME)
            parts.append(build(len(m.group(0))))
        else:
            parts.append(re.escape(other))
    try:
        return re.compile("".join(parts), re.ASCII)
    except re.error as exc:
        raise ParseError(f"devTimeFormat {fmt[:40]!r} repeats a field", parser=NAME) from exc


def _formatted_time_us(text: str, fmt: str, host: str | None, event: Event,
                       ctx: ParseContext) -> int:
    m = _format_regex(fmt).fullmatch(text.strip())
    if m is None:
        raise ParseError(f"devTime {text[:40]!r} does not match devTimeFormat {fmt[:40]!r}",
                         parser=NAME)
    got = m.groupdict()
    year = int(got["year"]) if got.get("year") else None
    if got.get("year2"):
        year = 2000 + int(got["year2"])
    month = month_number(got["mon"][:3]) if got.get("mon") else None
    if got.get("month"):
        month = int(got["month"])
        month = month if 1 <= month <= 12 else None
    hour = int(got.get("hour") or 0)
    if got.get("hour12"):
        hour = int(got["hour12"]) % 12 + (12 if (got.get("ampm") or "a").lower() == "pm" else 0)
    minute, second = int(got.get("minute") or 0), int(got.get("second") or 0)
    if got.get("day") is None or hour > 23 or minute > 59 or second > 59:
        raise ParseError(f"devTime {text[:40]!r} is not a valid time of {fmt[:40]!r}",
                         parser=NAME)
    fraction = (got.get("fraction") or "").ljust(3, "0")  # SSS is milliseconds
    day_us = ((hour * 60 + minute) * 60 + second) * 1_000_000 + int(fraction[:6].ljust(6, "0"))
    us = civil_time_us(year, month, int(got["day"]), day_us, got.get("zone"), "devTime",
                       host, event, ctx, NAME)
    if not 0 <= us < MAX_US:
        raise ParseError(f"devTime {text[:40]!r} is outside 1970..9999", parser=NAME)
    return us


__all__ = ["DETECT", "LeefParser", "parse_attributes"]
