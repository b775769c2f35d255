"""RFC 5424 syslog: ``<PRI>1 TIMESTAMP HOSTNAME APP-NAME PROCID MSGID SD [MSG]``.

The header is read exactly as the RFC's ABNF says (PRINTUSASCII fields with their length
limits, ``-`` for nil, an RFC 3339 time with an offset); structured data is parsed into
``{sd_id: {param: value}}`` with the three escapes undone. The message is UTF-8 (a leading
BOM is dropped), and bytes that are not UTF-8 are replaced rather than refused, since the
original bytes are kept by the pipeline anyway. Framing (octet counting, newlines) is the
receiver's job; a trailing CR/LF/NUL that slipped through is ignored.
"""

from __future__ import annotations

import re
from typing import Any

from ..errors import ParseError
from ..event import Event
from ._syslog_common import PRIORITY_FIELDS, RFC3339_STRICT, parse_pri, rfc3339_parts
from .base import ParseContext

NAME = "rfc5424"
NIL = "-"

#: (field name, maximum length) of the four PRINTUSASCII header fields, RFC 5424 §6
_HEADER_LIMITS = (("HOSTNAME", 255), ("APP-NAME", 48), ("PROCID", 128), ("MSGID", 32))

# SD-NAME: 1*32 PRINTUSASCII except '=', SP, ']' and '"'
_SD_NAME = r'[!#-<>-\\^-~]{1,32}'
_SD_ELEMENT_START = re.compile(r"\[(" + _SD_NAME + ")")
# PARAM-VALUE: anything but an unescaped '"'; backslash escapes the next character
_SD_PARAM = re.compile(r" (" + _SD_NAME + r')="([^"\\]*(?:\\.[^"\\]*)*)"', re.DOTALL)
_SD_UNESCAPE = re.compile(r'\\(["\\\]])')

StructuredData = dict[str, dict[str, Any]]


class Rfc5424Parser:
    """Reads one RFC 5424 message into ECS ``log.syslog.*``, ``host.*`` and ``process.*``."""

    name = NAME

    def parse(self, raw: bytes, ctx: ParseContext) -> Event:
        text = raw.decode("utf-8", "replace").rstrip("\r\n\x00")
        pri, start = parse_pri(text, NAME)
        fields = text[start:].split(" ", 6)
        if len(fields) < 7:
            raise ParseError(_missing_field_reason(fields), parser=NAME)
        version, stamp, host, app, procid, msgid, rest = fields
        if version != "1":
            raise ParseError(_version_reason(version), parser=NAME)
        joined = host + app + procid + msgid
        if not (0 < len(host) <= 255 and 0 < len(app) <= 48 and 0 < len(procid) <= 128
                and 0 < len(msgid) <= 32 and joined.isascii() and joined.isprintable()):
            _refuse_header_fields(host, app, procid, msgid)

        event: Event = {"@timestamp": _timestamp_us(stamp, ctx)}
        event.update(PRIORITY_FIELDS[pri])
        event["log.syslog.version"] = version
        event["log.syslog.format"] = NAME
        if host != NIL:
            event["host.name"] = event["log.syslog.hostname"] = host
        if app != NIL:
            event["log.syslog.appname"] = event["process.name"] = app
        if procid != NIL:
            event["log.syslog.procid"] = procid
            if procid.isdigit():
                event["process.pid"] = int(procid)
        if msgid != NIL:
            event["log.syslog.msgid"] = msgid

        message = _split_structured_data(rest, event)
        if message and message[0] == "\ufeff":
            message = message[1:]
        if message:
            event["message"] = message
        return event


def _missing_field_reason(fields: list[str]) -> str:
    names = ("VERSION", "TIMESTAMP", "HOSTNAME", "APP-NAME", "PROCID", "MSGID",
             "STRUCTURED-DATA")
    return f"header ends before {names[len(fields)]} (expected 7 space-separated fields)"


def _version_reason(version: str) -> str:
    if version.isascii() and version.isdigit() and version[:1] != "0":
        return f"unsupported syslog VERSION {version} (only 1 is defined)"
    return f"invalid VERSION {version[:8]!r}: expected 1 after the PRI"


def _refuse_header_fields(*values: str) -> None:
    """Raises the reason the first bad header field is refused."""
    for value, (label, limit) in zip(values, _HEADER_LIMITS):
        _check_header_field(value, label, limit)
    raise AssertionError("a header field failed the fast check but none is refused")


def _check_header_field(value: str, label: str, limit: int) -> None:
    if not value:
        raise ParseError(f"empty {label} (two spaces in the header?)", parser=NAME)
    if len(value) > limit:
        raise ParseError(f"{label} longer than {limit} characters", parser=NAME)
    if not (value.isascii() and value.isprintable()):
        raise ParseError(f"{label} {value[:40]!r} has characters outside printable ASCII",
                         parser=NAME)


def _timestamp_us(stamp: str, ctx: ParseContext) -> int:
    if stamp == NIL:
        return ctx.received_us
    m = RFC3339_STRICT.fullmatch(stamp)
    if m is None:
        raise ParseError(f"invalid TIMESTAMP {stamp[:40]!r}: expected RFC 3339 with an offset"
                         " (e.g. 2026-11-27T10:00:00.123Z) or '-'", parser=NAME)
    wall_us, offset_us = rfc3339_parts(m, NAME)
    return wall_us - (offset_us or 0)


def _split_structured_data(rest: str, event: Event) -> str:
    """Parses STRUCTURED-DATA into ``event``; returns the MSG after it ('' when none)."""
    if rest[:1] == NIL:
        end = 1
    elif rest[:1] == "[":
        data, end = parse_structured_data(rest)
        event["log.syslog.structured_data"] = data
    else:
        raise ParseError(f"invalid STRUCTURED-DATA {rest[:20]!r}: expected '-' or '['",
                         parser=NAME)
    if end == len(rest):
        return ""
    if rest[end] != " ":
        raise ParseError(f"malformed STRUCTURED-DATA: unexpected {rest[end]!r} at offset {end}"
                         " (expected a space before MSG)", parser=NAME)
    return rest[end + 1:]


def parse_structured_data(text: str) -> tuple[StructuredData, int]:
    """SD-ELEMENTs at the start of ``text`` as a dict, and the offset just after them.

    A param name given twice in one element becomes a list of its values; an SD-ID given
    twice (the RFC forbids it) has its params merged rather than one element dropped.
    """
    data: StructuredData = {}
    pos, size = 0, len(text)
    while pos < size and text[pos] == "[":
        element = _SD_ELEMENT_START.match(text, pos)
        if element is None:
            raise ParseError(f"malformed STRUCTURED-DATA: invalid SD-ID at offset {pos + 1}",
                             parser=NAME)
        params = data.setdefault(element.group(1), {})
        pos = element.end()
        while (param := _SD_PARAM.match(text, pos)) is not None:
            value = param.group(2)
            if "\\" in value:
                value = _SD_UNESCAPE.sub(r"\1", value)
            _add_param(params, param.group(1), value)
            pos = param.end()
        if pos >= size or text[pos] != "]":
            raise ParseError(f"malformed STRUCTURED-DATA in [{element.group(1)}]: expected"
                             f" ' name=\"value\"' or ']' at offset {pos}", parser=NAME)
        pos += 1
    return data, pos


def _add_param(params: dict[str, Any], name: str, value: str) -> None:
    old = params.get(name)
    if old is None:
        params[name] = value
    elif isinstance(old, list):
        old.append(value)
    else:
        params[name] = [old, value]


__all__ = ["Rfc5424Parser", "parse_structured_data"]
