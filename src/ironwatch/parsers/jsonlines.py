"""JSON lines: one JSON object per record, flattened to ECS dotted keys.

Nested objects become dotted keys (``{"host": {"name": "a"}}`` → ``host.name``); keys that
are already dotted stay as they are, lists stay lists, an empty object leaves no key, and
when two spellings name the same key the later one in the document wins. The event time is
the first of ``@timestamp``, ``timestamp``, ``time`` and ``ts`` that is present: RFC 3339
text (zone-less text is local to the sender, in the zone configured for its ``host.name``)
or an epoch number, as text or number, whose unit follows from its size. A record without
any of them gets the receipt time; one whose time cannot be read is refused, naming the
field.
"""

from __future__ import annotations

import re
from typing import Any

import orjson

from ..errors import ParseError
from ..event import Event
from ._syslog_common import MAX_US, RFC3339_LENIENT, local_to_utc_us, rfc3339_parts
from .base import ParseContext

NAME = "json"
TIME_FIELDS = ("@timestamp", "timestamp", "time", "ts")
#: deeper nesting than this is refused rather than walked (and would not be queryable)
MAX_DEPTH = 64

_EPOCH_TEXT = re.compile(r"\d{1,20}(?:\.\d{1,9})?", re.ASCII)


def json_object(raw: bytes, parser: str, what: str = "JSON record") -> dict[str, Any]:
    """``raw`` decoded as one JSON object; ``ParseError`` (under ``parser``) otherwise."""
    try:
        document = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise ParseError(f"invalid JSON: {exc}", parser=parser) from exc
    if not isinstance(document, dict):
        raise ParseError(f"{what} is a {type(document).__name__}, not an object", parser=parser)
    return document


class JsonLinesParser:
    """Reads one JSON object into a flat event."""

    name = NAME

    def parse(self, raw: bytes, ctx: ParseContext) -> Event:
        return self.from_document(json_object(raw, NAME), ctx)

    def from_document(self, document: dict[str, Any], ctx: ParseContext) -> Event:
        """The flat event of an already decoded JSON object."""
        event: Event = {}
        _flatten(document, "", event, 0)
        for field in TIME_FIELDS:
            if field in event:
                event["@timestamp"] = _time_us(field, event[field], event, ctx)
                break
        else:
            event["@timestamp"] = ctx.received_us
        return event


def _flatten(obj: dict[str, Any], prefix: str, out: Event, depth: int) -> None:
    if depth > MAX_DEPTH:
        raise ParseError(f"JSON objects nested deeper than {MAX_DEPTH} levels", parser=NAME)
    for key, value in obj.items():
        name = prefix + key
        if isinstance(value, dict):
            _flatten(value, name + ".", out, depth + 1)
        else:
            out[name] = value


def _time_us(field: str, value: Any, event: Event, ctx: ParseContext) -> int:
    if isinstance(value, str):
        us = _text_time_us(field, value, event, ctx)
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        us = _epoch_us(value)
    else:
        raise ParseError(f"field {field!r} is not a time: {type(value).__name__}", parser=NAME)
    if not 0 <= us < MAX_US:
        raise ParseError(f"field {field!r} is outside 1970..9999: {value!r}", parser=NAME)
    return us


def _text_time_us(field: str, text: str, event: Event, ctx: ParseContext) -> int:
    stripped = text.strip()
    if _EPOCH_TEXT.fullmatch(stripped):
        return _epoch_us(float(stripped) if "." in stripped else int(stripped))
    m = RFC3339_LENIENT.fullmatch(stripped)
    if m is None:
        raise ParseError(f"field {field!r} is not an RFC 3339 time: {text[:40]!r}", parser=NAME)
    wall_us, offset_us = rfc3339_parts(m, NAME)
    if offset_us is not None:
        return wall_us - offset_us
    host = event.get("host.name")
    zone = ctx.zone_for_host(host if isinstance(host, str) else None)
    event["event.timezone"] = zone.key
    return local_to_utc_us(wall_us, zone)


def epoch_unit_us(magnitude: float) -> float:
    """Microseconds per unit of an epoch number of this size: s, ms, µs or ns."""
    if magnitude < 1e11:
        return 1_000_000
    if magnitude < 1e14:
        return 1_000
    if magnitude < 1e17:
        return 1
    return 0.001


def _epoch_us(value: int | float) -> int:
    scale = epoch_unit_us(abs(value))
    if isinstance(value, int):
        return value * int(scale) if scale >= 1 else value // 1000
    return round(value * scale)


__all__ = ["JsonLinesParser", "TIME_FIELDS", "epoch_unit_us", "json_object"]
