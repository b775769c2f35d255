"""Fortinet FortiGate ``key=value`` logs (``date=… time=… devname="…" logid="…" type=…``),
bare or after a syslog header.

Pairs are read as ``keyvalue.parse_pairs`` reads them (quoted values may hold spaces), every
key is kept raw under ``fortinet.firewall.<key>``, and the common ones are mapped to ECS.
The event time is ``eventtime`` (seconds, ms, µs or ns, told apart by size), else
``date``+``time`` in the offset ``tz`` gives, else in the zone configured for the host (the
syslog header's, else ``devname``), else the syslog header's time. A record without
``logid`` and without ``date``/``time`` is not a FortiGate log and is refused, as is a time
field that cannot be read.
"""

from __future__ import annotations

import re

from ..errors import ParseError
from ..event import Event
from ._envelope import SYSLOG_PREFIX, read_syslog_envelope
from ._syslog_common import MAX_US, civil_us, days_in_month, local_to_utc_us, utc_offset_us
from .base import ParseContext
from .cef import map_fields, transport, zone_host
from .jsonlines import epoch_unit_us
from .keyvalue import parse_pairs

NAME = "fortigate"

#: what the registry sniffs: a payload starting ``date=YYYY-MM-DD time=``, or one with a
#: FortiGate serial (``devid=FG…``) and a ``logid=`` (in either order). The "contains" branches
#: sit outside ``SYSLOG_PREFIX`` so a long plain message is scanned once, not once per space.
DETECT = (r"(?:" + SYSLOG_PREFIX + r"date=\d{4}-\d\d-\d\d time=|[^|]*?devid=\"?FG[^|]*logid=|"
          r"[^|]*?logid=[^|]*devid=\"?FG)").encode()

#: a place the payload may start: the first ``key=`` at the start, after a PRI or after a space
_KEY_START = re.compile(r"(?:^|(?<=^<\d>)|(?<=^<\d\d>)|(?<=^<\d\d\d>)|(?<= ))[A-Za-z_]+=",
                        re.ASCII)
_DATE = re.compile(r"(\d{4})[-/](\d\d)[-/](\d\d)", re.ASCII)
_CLOCK = re.compile(r"(\d\d):(\d\d):(\d\d)", re.ASCII)
_TZ = re.compile(r"[+-]\d\d:?\d\d|Z", re.ASCII)
_ECS_TEXT = {"devname": "observer.name", "devid": "observer.serial_number",
             "action": "event.action", "policyid": "rule.id", "policyname": "rule.name",
             "user": "user.name", "logid": "event.code", "srcintf": "observer.ingress.interface.name",
             "dstintf": "observer.egress.interface.name", "msg": "message", "level": "log.level",
             "srcmac": "source.mac", "dstmac": "destination.mac", "app": "network.application",
             "hostname": "url.domain", "url": "url.original", "attack": "rule.name"}
_ECS_IP = {"srcip": "source.ip", "dstip": "destination.ip", "transip": "source.nat.ip",
           "tranip": "destination.nat.ip"}
_ECS_PORT = {"srcport": "source.port", "dstport": "destination.port",
             "transport": "source.nat.port", "tranport": "destination.nat.port"}
_ECS_INT = {"sentbyte": "source.bytes", "rcvdbyte": "destination.bytes",
            "sentpkt": "source.packets", "rcvdpkt": "destination.packets"}
_DENIED = {"deny", "block", "blocked", "drop", "dropped", "reset", "server-rst", "client-rst"}
_ALLOWED = {"accept", "allow", "pass", "passthrough", "permit", "close", "timeout", "monitored"}


class FortigateParser:
    """Reads one FortiGate log record, bare or after a syslog header."""

    name = NAME

    def parse(self, raw: bytes, ctx: ParseContext) -> Event:
        text = raw.decode("utf-8", "replace").rstrip("\r\n\x00").lstrip()
        start = _payload_start(text)
        event = read_syslog_envelope(text[:start], ctx, NAME)
        pairs = parse_pairs(text[start:])
        if "logid" not in pairs and not ("date" in pairs and "time" in pairs):
            raise ParseError("FortiGate record has neither logid= nor date= and time=",
                             parser=NAME)
        event.update({"event.kind": "event", "event.dataset": NAME,
                      "observer.vendor": "Fortinet", "observer.product": "FortiGate",
                      "observer.type": "firewall"})
        for key, value in pairs.items():
            event[f"fortinet.firewall.{key}"] = value
        _map_ecs(pairs, event)
        _set_time(pairs, event, ctx)
        return event


def _payload_start(text: str) -> int:
    """Where the pairs begin: the first ``key=`` with no ``|`` before it that is not inside an
    RFC 5424 structured-data element (``[origin ip="…"]`` belongs to the header)."""
    depth, scanned = 0, 0
    for m in _KEY_START.finditer(text):
        piece = text[scanned:m.start()]
        if "|" in piece:
            break
        depth += piece.count("[") - piece.count("]")
        scanned = m.start()
        if depth <= 0:
            return m.start()
    raise ParseError("no FortiGate key=value record at the start or after a syslog header",
                     parser=NAME)


def _map_ecs(pairs: dict[str, str], event: Event) -> None:
    map_fields(pairs, event, _ECS_TEXT, _ECS_IP, _ECS_PORT)
    for key, field in _ECS_INT.items():
        number = pairs.get(key, "")
        if number.isascii() and number.isdigit() and len(number) <= 18:
            event[field] = int(number)
    if pairs.get("proto"):
        event["network.transport"] = transport(pairs["proto"])
    if pairs.get("service"):
        event["network.protocol"] = pairs["service"].lower()
    action = pairs.get("action", "").lower()
    status = pairs.get("status", "").lower()
    if action in _DENIED:
        event["event.outcome"] = "failure"
        event["event.type"] = ["denied"]
    elif action in _ALLOWED:
        event["event.outcome"] = "success"
        event["event.type"] = ["allowed"]
    elif status in ("success", "failed", "failure"):
        event["event.outcome"] = "success" if status == "success" else "failure"
    kind = pairs.get("type", "").lower()
    if kind == "traffic":
        event["event.category"] = ["network"]
    elif kind in ("utm", "attack", "virus", "ips"):
        event["event.category"] = ["intrusion_detection"]
    elif pairs.get("subtype", "").lower() == "user" or ("user" in pairs and status):
        event["event.category"] = ["authentication"]


def _set_time(pairs: dict[str, str], event: Event, ctx: ParseContext) -> None:
    epoch = pairs.get("eventtime", "")
    if epoch:
        if not (epoch.isascii() and epoch.isdigit() and len(epoch) <= 19):
            raise ParseError(f"unreadable eventtime {epoch[:24]!r}", parser=NAME)
        number = int(epoch)
        scale = epoch_unit_us(number)
        us = number * int(scale) if scale >= 1 else number // 1000
        if us > MAX_US:
            raise ParseError(f"eventtime {epoch} is out of range", parser=NAME)
        event["@timestamp"] = us
        return
    if "date" in pairs and "time" in pairs:
        wall = wall_clock_us(pairs["date"], pairs["time"], NAME)
        tz = pairs.get("tz", "")
        if tz:
            offset = utc_offset_us(tz) if _TZ.fullmatch(tz) else None
            if offset is None:
                raise ParseError(f"unreadable tz {tz[:12]!r}", parser=NAME)
            event["@timestamp"] = wall - offset
            return
        zone = ctx.zone_for_host(zone_host(event, pairs.get("devname")))
        event["event.timezone"] = zone.key
        event["@timestamp"] = local_to_utc_us(wall, zone)


def wall_clock_us(date: str, clock: str, parser: str) -> int:
    """``YYYY-MM-DD`` (or ``/``) and ``HH:MM:SS`` as epoch µs read as UTC (a wall clock)."""
    d, c = _DATE.fullmatch(date), _CLOCK.fullmatch(clock)
    if d is None or c is None:
        raise ParseError(f"unreadable date/time {date[:12]!r} {clock[:12]!r}", parser=parser)
    year, month, day = (int(part) for part in d.groups())
    hour, minute, second = (int(part) for part in c.groups())
    if not (1 <= month <= 12 and 1 <= day <= days_in_month(year, month) and hour < 24
            and minute < 60 and second < 61 and year >= 1970):
        raise ParseError(f"date/time out of range {date[:12]!r} {clock[:12]!r}", parser=parser)
    return civil_us(year, month, day, ((hour * 60 + minute) * 60 + min(second, 59)) * 1_000_000)


__all__ = ["DETECT", "FortigateParser", "NAME", "wall_clock_us"]
