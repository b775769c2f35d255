"""Palo Alto Networks PAN-OS syslog in its default CSV form, bare or after a syslog header.

A record is one CSV line (fields with commas are double-quoted) whose fourth field is the
log type. The field order is PAN-OS 10.x/11.x's; positions beyond a short record are simply
absent. Mapped positions (0-based):

- all types: 1 receive time, 2 serial, 3 type, 4 subtype, 6 generated time;
- TRAFFIC and THREAT: 7 source, 8 destination, 9 NAT source, 10 NAT destination, 11 rule,
  12 source user, 13 destination user, 14 application, 15 vsys, 16/17 from/to zone,
  18/19 inbound/outbound interface, 22 session id, 24/25 source/destination port,
  26/27 NAT source/destination port, 29 protocol, 30 action;
- TRAFFIC: 31 bytes, 32 bytes sent, 33 bytes received, 34 packets, 36 elapsed seconds,
  37 URL category, 44/45 packets sent/received, 46 session end reason;
- THREAT: 31 URL/file name, 32 threat name with its id in parentheses, 33 category,
  34 severity, 35 direction;
- SYSTEM: 7 vsys, 8 event id, 9 object, 12 module, 13 severity, 14 description;
- CONFIG: 7 host, 8 vsys, 9 command, 10 admin, 11 client, 12 result, 13 path.

Each named field is kept raw as ``panw.panos.<name>`` and mapped to ECS. Times are device
local times, read in the zone configured for the host (the syslog header's); ``@timestamp``
is the generated time, else the receive time.
"""

from __future__ import annotations

import csv
import re

from ..errors import ParseError
from ..event import Event
from ._envelope import SYSLOG_PREFIX, SYSLOG_PREFIX_SHORTEST, open_envelope
from ._syslog_common import local_to_utc_us
from .base import ParseContext
from .cef import transport, valid_ip, valid_port
from .fortigate import wall_clock_us

NAME = "panos"

_PAYLOAD = r"\d,\d{4}/\d\d/\d\d \d\d:\d\d:\d\d,[^,]*,(?:TRAFFIC|THREAT|SYSTEM|CONFIG),"
#: what the registry sniffs (and the columnar fast path refuses)
DETECT = (SYSLOG_PREFIX + _PAYLOAD).encode()
_START = re.compile(SYSLOG_PREFIX_SHORTEST + "(" + _PAYLOAD + ")", re.ASCII | re.DOTALL)

_COMMON = {1: "receive_time", 2: "serial", 3: "type", 4: "subtype", 6: "generated_time"}
_SESSION = {7: "src", 8: "dst", 9: "natsrc", 10: "natdst", 11: "rule", 12: "srcuser",
            13: "dstuser", 14: "app", 15: "vsys", 16: "from", 17: "to", 18: "inbound_if",
            19: "outbound_if", 22: "sessionid", 24: "sport", 25: "dport", 26: "natsport",
            27: "natdport", 29: "proto", 30: "action"}
_FIELDS: dict[str, dict[int, str]] = {
    "TRAFFIC": {**_COMMON, **_SESSION, 31: "bytes", 32: "bytes_sent", 33: "bytes_received",
                34: "packets", 36: "elapsed", 37: "category", 44: "pkts_sent",
                45: "pkts_received", 46: "session_end_reason"},
    "THREAT": {**_COMMON, **_SESSION, 31: "misc", 32: "threatid", 33: "category",
               34: "severity", 35: "direction"},
    "SYSTEM": {**_COMMON, 7: "vsys", 8: "eventid", 9: "object", 12: "module", 13: "severity",
               14: "opaque"},
    "CONFIG": {**_COMMON, 7: "host", 8: "vsys", 9: "cmd", 10: "admin", 11: "client",
               12: "result", 13: "path"},
}
_ECS_TEXT = {"serial": "observer.serial_number", "rule": "rule.name", "srcuser": "source.user.name",
             "dstuser": "destination.user.name", "app": "network.application",
             "from": "observer.ingress.zone", "to": "observer.egress.zone",
             "inbound_if": "observer.ingress.interface.name",
             "outbound_if": "observer.egress.interface.name", "action": "event.action",
             "admin": "user.name", "cmd": "event.action", "misc": "url.original"}
_ECS_IP = {"src": "source.ip", "dst": "destination.ip", "natsrc": "source.nat.ip",
           "natdst": "destination.nat.ip"}
_ECS_PORT = {"sport": "source.port", "dport": "destination.port", "natsport": "source.nat.port",
             "natdport": "destination.nat.port"}
_ECS_INT = {"bytes": "network.bytes", "bytes_sent": "source.bytes",
            "bytes_received": "destination.bytes", "packets": "network.packets",
            "pkts_sent": "source.packets", "pkts_received": "destination.packets"}
_SEVERITY = {"informational": 1, "low": 2, "medium": 3, "high": 4, "critical": 5}
_DENIED = {"deny", "drop", "drop-icmp", "reset-client", "reset-server", "reset-both",
           "block-url", "block-continue", "sinkhole", "block"}
_THREAT_NAME = re.compile(r"(.*?)\s*\((\d+)\)\s*", re.DOTALL)


class PanosParser:
    """Reads one PAN-OS CSV syslog record (TRAFFIC, THREAT, SYSTEM, CONFIG)."""

    name = NAME

    def parse(self, raw: bytes, ctx: ParseContext) -> Event:
        text, m, event = open_envelope(raw, _START, ctx, NAME,
                                      "no PAN-OS CSV record (1,<time>,<serial>,TRAFFIC|THREAT|SYSTEM|"
                                      "CONFIG,...) at the start or after a syslog header")
        try:
            columns = next(csv.reader([text[m.start(1):]], strict=True))
        except (csv.Error, StopIteration) as exc:
            raise ParseError(f"unreadable PAN-OS CSV: {exc}", parser=NAME) from exc
        kind = columns[3] if len(columns) > 3 else ""
        if kind not in _FIELDS:
            raise ParseError("PAN-OS CSV: a quote in the first fields hides the log type",
                             parser=NAME)
        fields = {name: columns[pos] for pos, name in _FIELDS[kind].items() if pos < len(columns)}
        event.update({"event.kind": "event", "event.dataset": NAME, "observer.vendor": "Palo Alto Networks",
                      "observer.product": "PAN-OS", "observer.type": "firewall"})
        for name, value in fields.items():
            if value != "":
                event[f"panw.panos.{name}"] = value
        _map_ecs(kind, fields, event)
        _set_time(fields, event, ctx)
        return event


def _map_ecs(kind: str, fields: dict[str, str], event: Event) -> None:
    for key, field in _ECS_TEXT.items():
        if fields.get(key):
            event[field] = fields[key]
    for key, field in _ECS_IP.items():
        ip = valid_ip(fields.get(key))
        if ip is not None and not (key.startswith("nat") and ip == "0.0.0.0"):
            event[field] = ip
    for key, field in _ECS_PORT.items():
        port = valid_port(fields.get(key))
        if port is not None and not (key.startswith("nat") and port == 0):
            event[field] = port
    for key, field in _ECS_INT.items():
        number = fields.get(key, "")
        if number.isascii() and number.isdigit() and len(number) <= 18:
            event[field] = int(number)
    elapsed = fields.get("elapsed", "")
    if elapsed.isascii() and elapsed.isdigit() and len(elapsed) <= 9:
        event["event.duration"] = int(elapsed) * 1_000_000_000
    if fields.get("proto"):
        event["network.transport"] = transport(fields["proto"])
    if fields.get("direction") in ("client-to-server", "server-to-client"):
        event["network.direction"] = fields["direction"]
    action = fields.get("action", "").lower()
    if kind in ("TRAFFIC", "THREAT") and action:
        denied = action in _DENIED
        event["event.outcome"] = "failure" if denied else "success"
        event["event.type"] = ["denied" if denied else "allowed"]
    event["event.category"] = {"TRAFFIC": ["network"], "THREAT": ["intrusion_detection"],
                               "SYSTEM": ["host"], "CONFIG": ["configuration"]}[kind]
    if kind == "THREAT" and fields.get("threatid"):
        named = _THREAT_NAME.fullmatch(fields["threatid"])
        event["panw.panos.threat.name"] = named.group(1) if named else fields["threatid"]
        if named:
            event["panw.panos.threat.id"] = named.group(2)
    severity = fields.get("severity", "").lower()
    if severity in _SEVERITY:
        event["log.level"] = severity
        event["event.severity"] = _SEVERITY[severity]
    if kind == "SYSTEM" and fields.get("opaque"):
        event["message"] = fields["opaque"]
    if kind == "CONFIG" and fields.get("result"):
        event["event.outcome"] = "success" if fields["result"].lower() == "succeeded" else "failure"


def _set_time(fields: dict[str, str], event: Event, ctx: ParseContext) -> None:
    stamp = fields.get("generated_time") or fields.get("receive_time", "")
    date, _, clock = stamp.partition(" ")
    wall = wall_clock_us(date, clock, NAME)
    host = event.get("host.name")
    zone = ctx.zone_for_host(host if isinstance(host, str) else None)
    event["event.timezone"] = zone.key
    event["@timestamp"] = local_to_utc_us(wall, zone)


__all__ = ["DETECT", "NAME", "PanosParser"]
