"""Generic ``key=value`` records (format ``kv``), for senders with no format of their own.

A value is either double-quoted (``\\"`` and ``\\\\`` escapes, spaces allowed) or runs to the
next space; words without ``=`` are skipped. Every pair is kept under ``kv.<key>`` and the
common names (src/dst/srcip/dstip/sport/dport/user/action…) are mapped to ECS. This format
is never auto-detected — plain syslog text often contains ``a=b`` — so a listener or import
must name it. Behind a syslog header (a pinned syslog sender) the header is read by the
syslog parsers (time, host, program) and the pairs come from the message.
``parse_pairs`` is also how FortiGate records are read.
"""

from __future__ import annotations

import re

from ..errors import ParseError
from ..event import Event
from .base import ParseContext
from .cef import map_fields, transport
from ._envelope import split_syslog_message

NAME = "kv"

_PAIR = re.compile(r'([A-Za-z0-9_.:@/-]+)=(?:"((?:[^"\\]|\\.)*)"|(\S*))', re.ASCII | re.DOTALL)
_UNESCAPE = re.compile(r'\\(["\\])')
_ECS_IP = {"src": "source.ip", "srcip": "source.ip", "src_ip": "source.ip",
           "dst": "destination.ip", "dstip": "destination.ip", "dst_ip": "destination.ip"}
_ECS_PORT = {"sport": "source.port", "srcport": "source.port", "spt": "source.port",
             "dport": "destination.port", "dstport": "destination.port", "dpt": "destination.port"}
_ECS_TEXT = {"user": "user.name", "usr": "user.name", "username": "user.name",
             "action": "event.action", "msg": "message", "host": "host.name"}


def parse_pairs(text: str) -> dict[str, str]:
    """The ``key=value`` pairs of ``text`` in order; a key given twice: the later wins."""
    pairs: dict[str, str] = {}
    for m in _PAIR.finditer(text):
        if m.start() and not text[m.start() - 1].isspace():
            continue  # the middle of a word such as 'a==b' or 'x"k=v'
        quoted = m.group(2)
        if quoted is None:
            pairs[m.group(1)] = m.group(3)
        else:
            pairs[m.group(1)] = _UNESCAPE.sub(r"\1", quoted) if "\\" in quoted else quoted
    return pairs


class KeyValueParser:
    """Reads one ``key=value`` record into ``kv.*`` fields and common ECS names."""

    name = NAME

    def parse(self, raw: bytes, ctx: ParseContext) -> Event:
        event, text = split_syslog_message(raw.decode("utf-8", "replace").strip("\r\n\x00 \t"), ctx, NAME)
        pairs = parse_pairs(text)
        if not pairs:
            raise ParseError("no key=value pair in the record", parser=NAME)
        event.update({"event.kind": "event", "event.dataset": NAME, "message": text})
        for key, value in pairs.items():
            event[f"kv.{key}"] = value
        map_fields(pairs, event, _ECS_TEXT, _ECS_IP, _ECS_PORT)
        for key in ("proto", "protocol"):
            if pairs.get(key):
                event["network.transport"] = transport(pairs[key])
        return event


__all__ = ["KeyValueParser", "NAME", "parse_pairs"]
