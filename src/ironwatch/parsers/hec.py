"""Splunk HTTP Event Collector envelopes: ``{"time", "host", "source", "sourcetype", "index",
"fields", "event"}``, one per record (the envelope is the stored original).

The ``event`` inside is read like any other record: a string through per-message detection
(a syslog line, CEF, Windows XML, JSON text…, and plain text when it has no known shape) or
through the format its ``sourcetype`` names; an object through the JSON flavours (Winlogbeat, Suricata EVE, Zeek) or as plain
JSON. Then the envelope is applied with Splunk's meaning: its ``time`` is the event time
(when given), its ``host`` names the host when the event itself does not, ``source``,
``sourcetype`` and ``index`` are kept under ``hec.*`` and the indexed ``fields`` become
``labels.*``.
"""

from __future__ import annotations

from typing import Any, Callable

import orjson

from ..errors import ParseError
from ..event import Event
from .base import ParseContext
from .jsonlines import epoch_unit_us, json_object

NAME = "hec"

#: sourcetype (lower case) → the format its string events are in; anything else is detected
SOURCETYPE_FORMATS = {
    "_json": "json", "json": "json", "json_no_timestamp": "json", "suricata": "json",
    "cef": "cef", "leef": "leef", "cisco:asa": "asa", "fortigate_log": "fortigate",
    "fgt_log": "fortigate", "pan:log": "panos", "pan_log": "panos",
    "xmlwineventlog": "winxml", "linux:audit": "auditd",
}

InnerParse = Callable[[bytes, ParseContext, str], tuple[str, Event]]
JsonParse = Callable[[dict[str, Any], ParseContext], tuple[str, Event]]


def format_for(sourcetype: str, event: str = "{") -> str:
    """The format a string event of this sourcetype is read as: the one it names (JSON only
    when the text is an object), else per-message detection with plain text as the fallback."""
    st = sourcetype.lower()
    fmt = "winxml" if st.startswith("xmlwineventlog") else SOURCETYPE_FORMATS.get(st, "text")
    if fmt == "json" and not event.lstrip().startswith("{"):
        return "text"
    return fmt


def _time_us(value: Any) -> int:
    try:
        number = float(value)
    except (TypeError, ValueError) as exc:
        raise ParseError(f"HEC 'time' is not an epoch number: {str(value)[:40]!r}", parser=NAME) from exc
    if not 0 <= number < 253_402_300_800_000:
        raise ParseError(f"HEC 'time' is outside 1970..9999: {value!r}", parser=NAME)
    return round(number * epoch_unit_us(number))


def parse_hec(raw: bytes, ctx: ParseContext, inner: InnerParse, from_json: JsonParse) -> tuple[str, Event]:
    """``(format of the inner event, fields)`` of one HEC envelope."""
    doc = json_object(raw, NAME, "HEC record")
    if "event" not in doc:
        raise ParseError("HEC envelope without 'event'", parser=NAME)
    body = doc["event"]
    sourcetype = doc.get("sourcetype")
    sourcetype = sourcetype if isinstance(sourcetype, str) else ""
    if isinstance(body, str):
        if not body.strip():
            raise ParseError("HEC 'event' is empty", parser=NAME)
        used, event = inner(body.encode(), ctx, format_for(sourcetype, body))
    elif isinstance(body, dict):
        used, event = from_json(body, ctx)
    elif body is None or isinstance(body, list):
        raise ParseError(f"HEC 'event' is {'null' if body is None else 'a list'}", parser=NAME)
    else:
        used, event = NAME, {"@timestamp": ctx.received_us, "message": orjson.dumps(body).decode()}
    if doc.get("time") not in (None, ""):
        event["@timestamp"] = _time_us(doc["time"])
    host = doc.get("host")
    if isinstance(host, str) and host and not event.get("host.name"):
        event["host.name"] = host
    for key in ("source", "sourcetype", "index"):
        value = doc.get(key)
        if isinstance(value, str) and value:
            event[f"hec.{key}"] = value
    fields = doc.get("fields")
    if isinstance(fields, dict):
        for key, value in fields.items():
            event[f"labels.{key}"] = value if isinstance(value, (str, int, float, bool)) else orjson.dumps(value).decode()
    return used, event


__all__ = ["NAME", "SOURCETYPE_FORMATS", "format_for", "parse_hec"]
