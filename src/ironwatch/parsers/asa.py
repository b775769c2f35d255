"""Cisco ASA and FTD: ``%ASA-<severity>-<message id>: text`` (or ``%FTD-``), bare or after a
syslog header.

The header is read by the syslog parsers (``_envelope``). ``event.code`` is the message id,
the level is kept as ``cisco.asa.severity`` and ``event.severity``, and the text after the
id is the ``message``. For the common ids (access-list denies and permits, connection
build/teardown, NAT translations, authentication, configuration changes, to-the-box denies)
one regex per id picks out addresses, ports, interfaces, ACL, user, bytes and duration and
maps them to ECS; an id without an entry, or text its regex does not fit, keeps only the
message (a firmware wording change must not lose the event).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..event import Event
from ._envelope import SYSLOG_PREFIX, SYSLOG_PREFIX_SHORTEST, open_envelope
from .base import ParseContext
from .cef import valid_ip, valid_port

NAME = "asa"

#: what the registry sniffs (and the columnar fast path refuses)
DETECT = (SYSLOG_PREFIX + r"%(?:ASA|FTD)-\d-\d{6}:").encode()

_START = re.compile(SYSLOG_PREFIX_SHORTEST + r"(%(ASA|FTD)-(\d)-(\d{6}):) ?", re.ASCII | re.DOTALL)

# address pieces: ``iface:ip/port`` and ``ip/port``
_SRC = r"(?P<src_if>[^\s:]+):(?P<src_ip>[0-9A-Fa-f.:]+)/(?P<src_port>\d+)"
_DST = r"(?P<dst_if>[^\s:]+):(?P<dst_ip>[0-9A-Fa-f.:]+)/(?P<dst_port>\d+)"
_SRC_BARE = r"(?P<src_ip>[0-9A-Fa-f.:]+)/(?P<src_port>\d+)"
_DST_BARE = r"(?P<dst_ip>[0-9A-Fa-f.:]+)/(?P<dst_port>\w+)"
_DST_SERVICE = r"(?P<dst_if>[^\s:]+):(?P<dst_ip>[0-9A-Fa-f.:]+)/(?P<dst_port>\w+)"
_DURATION = r"duration (?P<duration>\d+:\d\d:\d\d)"


@dataclass(frozen=True)
class _Message:
    """What one message id says: its regex and the ECS classification it implies."""

    pattern: re.Pattern[str]
    category: str
    type: str
    action: str | None = None
    outcome: str | None = None


def _m(regex: str, category: str, kind: str, action: str | None = None,
       outcome: str | None = None) -> _Message:
    return _Message(re.compile(regex, re.IGNORECASE), category, kind, action, outcome)


_DENY = ("network", "denied", "deny", "failure")
_MESSAGES: dict[str, _Message] = {
    "106023": _m(r"(?P<verdict>Deny|Permit) (?P<proto>\S+) src "
                 r"(?P<src_if>[^\s:]+):(?P<src_ip>[0-9A-Fa-f.:]+)(?:/(?P<src_port>\d+))? dst "
                 r"(?P<dst_if>[^\s:]+):(?P<dst_ip>[0-9A-Fa-f.:]+)(?:/(?P<dst_port>\d+))?"
                 r".*? by access-group \"(?P<acl>[^\"]*)\"", "network", "denied"),
    "106100": _m(r"access-list (?P<acl>\S+) (?P<verdict>permitted|denied|est-allowed) "
                 r"(?P<proto>\S+) (?P<src_if>[^\s/]+)/(?P<src_ip>[0-9A-Fa-f.:]+)\((?P<src_port>\d+)\)"
                 r" -> (?P<dst_if>[^\s/]+)/(?P<dst_ip>[0-9A-Fa-f.:]+)\((?P<dst_port>\d+)\)",
                 "network", "denied"),
    "106001": _m(r"Inbound (?P<proto>\S+) connection denied from " + _SRC_BARE + " to "
                 + _DST_BARE + r" flags .*? on interface (?P<src_if>\S+)", *_DENY),
    "106006": _m(r"Deny inbound (?P<proto>\S+) from " + _SRC_BARE + " to " + _DST_BARE
                 + r" on interface (?P<src_if>\S+)", *_DENY),
    "106007": _m(r"Deny inbound (?P<proto>\S+) from " + _SRC_BARE + " to " + _DST_BARE, *_DENY),
    "106015": _m(r"Deny (?P<proto>\S+) \(no connection\) from " + _SRC_BARE + " to "
                 + _DST_BARE + r" flags .*? on interface (?P<src_if>\S+)", *_DENY),
    "302013": _m(r"Built (?P<direction>inbound|outbound) (?P<proto>TCP) connection (?P<conn>\d+) "
                 r"for " + _SRC + r" \([^)]*\) to " + _DST, "network", "start", "connection-built",
                 "success"),
    "302015": _m(r"Built (?P<direction>inbound|outbound) (?P<proto>UDP) connection (?P<conn>\d+) "
                 r"for " + _SRC + r" \([^)]*\) to " + _DST, "network", "start", "connection-built",
                 "success"),
    "302014": _m(r"Teardown (?P<proto>TCP) connection (?P<conn>\d+) for " + _SRC + " to " + _DST
                 + r" " + _DURATION + r" bytes (?P<bytes>\d+)", "network", "end",
                 "connection-teardown", "success"),
    "302016": _m(r"Teardown (?P<proto>UDP) connection (?P<conn>\d+) for " + _SRC + " to " + _DST
                 + r" " + _DURATION + r" bytes (?P<bytes>\d+)", "network", "end",
                 "connection-teardown", "success"),
    "305011": _m(r"Built (?:dynamic|static) (?P<proto>\S+) translation from " + _SRC + " to "
                 r"(?P<nat_if>[^\s:]+):(?P<nat_ip>[0-9A-Fa-f.:]+)/(?P<nat_port>\d+)",
                 "network", "start", "translation-built", "success"),
    "305012": _m(r"Teardown (?:dynamic|static) (?P<proto>\S+) translation from " + _SRC + " to "
                 r"(?P<nat_if>[^\s:]+):(?P<nat_ip>[0-9A-Fa-f.:]+)/(?P<nat_port>\d+)"
                 r"(?: " + _DURATION + ")?", "network", "end", "translation-teardown", "success"),
    "113004": _m(r"AAA user authentication Successful : server = +(?P<server>\S+) : "
                 r"user = (?P<user>\S+)", "authentication", "start", "logged-in", "success"),
    "113005": _m(r"AAA user authentication Rejected : reason = (?P<reason>[^:]*?) : "
                 r"server = +(?P<server>\S+) : user = (?P<user>\S+)"
                 r"(?: : user IP = (?P<src_ip>[0-9A-Fa-f.:]+))?",
                 "authentication", "start", "logon-failed", "failure"),
    "113015": _m(r"AAA user authentication Rejected : reason = (?P<reason>[^:]*?) : .*?"
                 r"user = (?P<user>\S+)(?: : user IP = (?P<src_ip>[0-9A-Fa-f.:]+))?",
                 "authentication", "start", "logon-failed", "failure"),
    "605004": _m(r"Login denied from " + _SRC_BARE + r" to " + _DST_SERVICE + r" for user "
                 r"\"(?P<user>[^\"]*)\"", "authentication", "start", "logon-failed", "failure"),
    "605005": _m(r"Login permitted from " + _SRC_BARE + r" to " + _DST_SERVICE + r" for user "
                 r"\"(?P<user>[^\"]*)\"", "authentication", "start", "logged-in", "success"),
    "611101": _m(r"User authentication succeeded: IP(?: address)?\s*[:,=]\s*(?P<src_ip>[0-9A-Fa-f.:]+)"
                 r"\s*[,:]\s*Uname\s*:\s*(?P<user>\S+)", "authentication", "start", "logged-in",
                 "success"),
    "611102": _m(r"User authentication failed: IP(?: address)?\s*[:,=]\s*(?P<src_ip>[0-9A-Fa-f.:]+)"
                 r"\s*[,:]\s*Uname\s*:\s*(?P<user>\S+)", "authentication", "start", "logon-failed",
                 "failure"),
    "111008": _m(r"User '(?P<user>[^']*)' executed the '(?P<command>[^']*)' command",
                 "configuration", "change", "configuration-change", "success"),
    "111010": _m(r"User '(?P<user>[^']*)', running '[^']*' from IP (?P<src_ip>[0-9A-Fa-f.:]+), "
                 r"executed '(?P<command>.*)'", "configuration", "change",
                 "configuration-change", "success"),
    "710003": _m(r"(?P<proto>\S+) access denied by ACL from " + _SRC_BARE + " to " + _DST, *_DENY),
    "710005": _m(r"(?P<proto>\S+) request discarded from " + _SRC_BARE + " to " + _DST, *_DENY),
}
_VERDICTS = {"deny": ("deny", "denied", "failure"), "denied": ("deny", "denied", "failure"),
             "permit": ("permit", "allowed", "success"),
             "permitted": ("permit", "allowed", "success"),
             "est-allowed": ("permit", "allowed", "success")}


class AsaParser:
    """Reads one Cisco ASA/FTD message, bare or after a syslog header."""

    name = NAME

    def parse(self, raw: bytes, ctx: ParseContext) -> Event:
        text, m, event = open_envelope(raw, _START, ctx, NAME,
                                      "no '%ASA-<level>-<id>:' or '%FTD-' at the start or after a syslog "
                                      "header")
        product, level, code = m.group(2), int(m.group(3)), m.group(4)
        message = text[m.end():]
        event.update({
            "event.kind": "event", "event.dataset": NAME, "event.code": code,
            "event.severity": level, "cisco.asa.severity": level, "cisco.asa.message_id": code,
            "observer.vendor": "Cisco", "observer.product": "ASA" if product == "ASA" else "FTD",
            "observer.type": "firewall", "message": message,
        })
        known = _MESSAGES.get(code)
        found = known.pattern.search(message) if known is not None else None
        if known is not None and found is not None:
            _map_ecs(known, found.groupdict(), event)
        return event


def _map_ecs(known: _Message, groups: dict[str, str | None], event: Event) -> None:
    action, kind, outcome = known.action, known.type, known.outcome
    verdict = (groups.get("verdict") or "").lower()
    if verdict in _VERDICTS:
        action, kind, outcome = _VERDICTS[verdict]
    event["event.category"] = [known.category]
    event["event.type"] = [kind]
    if action:
        event["event.action"] = action
    if outcome:
        event["event.outcome"] = outcome
    for side in ("src", "dst", "nat"):
        prefix = {"src": "source", "dst": "destination", "nat": "source.nat"}[side]
        ip = valid_ip(groups.get(f"{side}_ip"))
        if ip is not None:
            event[f"{prefix}.ip"] = ip
        port = valid_port(groups.get(f"{side}_port"))
        if port is not None:
            event[f"{prefix}.port"] = port
    if groups.get("src_if"):
        event["observer.ingress.interface.name"] = groups["src_if"]
    if groups.get("dst_if"):
        event["observer.egress.interface.name"] = groups["dst_if"]
    if groups.get("nat_if"):
        event["observer.egress.interface.name"] = groups["nat_if"]
    if groups.get("proto"):
        event["network.transport"] = str(groups["proto"]).lower()
    if groups.get("direction"):
        event["network.direction"] = str(groups["direction"]).lower()
        event["cisco.asa.connection_direction"] = str(groups["direction"])
    if groups.get("acl"):
        event["rule.name"] = groups["acl"]
    if groups.get("conn"):
        event["cisco.asa.connection_id"] = groups["conn"]
    if groups.get("bytes"):
        event["network.bytes"] = int(str(groups["bytes"])[:18])
    if groups.get("duration"):
        hours, minutes, seconds = (int(part) for part in str(groups["duration"]).split(":"))
        event["event.duration"] = ((hours * 60 + minutes) * 60 + seconds) * 1_000_000_000
    if groups.get("user"):
        event["user.name"] = groups["user"]
    if groups.get("command"):
        event["cisco.asa.command_line"] = groups["command"]
    if groups.get("reason"):
        event["event.reason"] = groups["reason"]
    if groups.get("server"):
        event["cisco.asa.aaa_server"] = groups["server"]


__all__ = ["AsaParser", "DETECT", "NAME"]
