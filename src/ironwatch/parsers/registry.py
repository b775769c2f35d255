"""The one place parsers are registered, and per-message format detection for syslog ports.

``PARSERS`` maps a format name (as configs and ``--input-format`` spell it) to its parser.
``auto`` and ``syslog`` are not parsers: they ask ``detect_syslog_format`` for each message,
which tries ``_SNIFFERS`` in order and falls back to RFC 3164, the format that accepts
nearly anything. A new format is one entry in each table (the sniffer only if a syslog
port may carry it).

Three more hooks live here. A pinned format may carry options after a newline
(``zeek\n#separator …``), handed to the parser as ``ParseContext.options``. A JSON
document goes to the first JSON flavour that claims it (Suricata EVE, Winlogbeat/NXLog,
Zeek), else it is read as plain JSON lines. A syslog message from a program that
``linux.ENRICHERS`` knows (sshd, sudo, su, PAM, useradd…) gets that program's fields too.
"""

from __future__ import annotations

import dataclasses
import re
from typing import Any


from ..errors import ConfigError, ParseError
from ..event import Event
from . import asa, auditd, cef, fortigate, hec, jsonlines, leef, linux, panos, suricata, windows, zeek
from .asa import AsaParser
from .base import ParseContext, Parser
from .cef import CefParser
from .fortigate import FortigateParser
from .jsonlines import JsonLinesParser
from .keyvalue import KeyValueParser
from .leef import LeefParser
from .panos import PanosParser
from .rfc3164 import Rfc3164Parser
from .rfc5424 import Rfc5424Parser

#: JSON shapes with their own mapping, tried in order on every JSON document
FLAVOURS = (*suricata.FLAVOURS, *windows.FLAVOURS, *zeek.FLAVOURS)

_ALL: tuple[Parser, ...] = (Rfc5424Parser(), Rfc3164Parser(), JsonLinesParser(), CefParser(), LeefParser(),
                            AsaParser(), FortigateParser(), PanosParser(), KeyValueParser(),
                            *windows.PARSERS, *zeek.PARSERS, *suricata.PARSERS, *auditd.PARSERS)
PARSERS: dict[str, Parser] = {parser.name: parser for parser in _ALL}
_JSON = JsonLinesParser()
_SYSLOG = frozenset({"rfc3164", "rfc5424"})

#: format names that mean "decide per message"
DETECTING = ("auto", "syslog")

#: (what the start of a message looks like, its format), tried in order. Every vendor payload
#: comes before RFC 5424 because it may follow a syslog header (``<PRI>1 ... CEF:0|``). CEF
#: and LEEF come first among them: their marker declares the format, and a Cisco, Fortinet or
#: Palo Alto device forwarding in CEF/LEEF must be read as CEF/LEEF even when the extension
#: quotes a native record (``msg=%ASA-6-...``). ASA's ``%ASA-n-nnnnnn:`` is the most specific
#: of the vendor markers, then FortiGate's ``date=… time=``/``devid=FG…logid=``, then the
#: PAN-OS CSV line. Generic ``kv`` is never sniffed: plain syslog text often holds ``a=b``.
_SNIFFERS: tuple[tuple[re.Pattern[bytes], str], ...] = (
    (re.compile(rb"\{"), "json"),
    (re.compile(rb"(?:<\?xml[^>]{0,200}\?>\s*)?<Event[\s>]"), "winxml"),
    (re.compile(cef.DETECT, re.DOTALL), "cef"),
    (re.compile(leef.DETECT, re.DOTALL), "leef"),
    (re.compile(asa.DETECT, re.DOTALL), "asa"),
    (re.compile(fortigate.DETECT, re.DOTALL), "fortigate"),
    (re.compile(panos.DETECT, re.DOTALL), "panos"),
    (re.compile(rb"<\d{1,3}>1 "), "rfc5424"),
    # auditd records forwarded bare (audisp-remote to a syslog port); behind a syslog header
    # they are the audispd / audit programs' messages, which linux.ENRICHERS reads
    (re.compile(rb"(?:node=\S{1,255} )?type=[A-Z0-9_\[\]]{1,40} msg=audit\("), "auditd"),
)
_FALLBACK = "rfc3164"
_BOM = b"\xef\xbb\xbf"


def sniffer_patterns() -> tuple[tuple[str, str], ...]:
    """``_SNIFFERS`` as ``(pattern text, format)``: the columnar fast path runs the same
    patterns (written in the syntax Python and RE2 share) to leave alone what they claim."""
    return tuple((pattern.pattern.decode(), fmt) for pattern, fmt in _SNIFFERS)


def get_parser(name: str) -> Parser:
    """The parser registered as ``name``; ``ConfigError`` naming the known formats otherwise."""
    parser = PARSERS.get(name)
    if parser is None:
        raise ConfigError(f"unknown input format {name!r} (known: {', '.join(known_formats())})")
    return parser


#: per-message detection where a message of no known shape is plain text, not an error
#: (what Splunk HEC clients send: application log lines)
TEXT = "text"
#: formats that are envelopes around another record, or detect (not in ``PARSERS``)
ENVELOPES = (hec.NAME, TEXT)


def known_formats() -> list[str]:
    return sorted([*PARSERS, *DETECTING, *ENVELOPES])


def check_format(name: str) -> None:
    """``ConfigError`` naming the known formats unless ``name`` (options aside) is one."""
    name = name.partition("\n")[0]
    if name not in PARSERS and name not in DETECTING and name not in ENVELOPES:
        raise ConfigError(f"unknown input format {name!r} (known: {', '.join(known_formats())})")


def strip_lead(raw: bytes) -> bytes:
    """``raw`` without leading whitespace and byte-order marks (as ``parse`` reads it)."""
    raw = raw.lstrip()
    while raw.startswith(_BOM):
        raw = raw[len(_BOM):].lstrip()
    return raw


def detect_syslog_format(raw: bytes) -> str:
    """The format of one message received on a syslog or auto-detecting input."""
    head = strip_lead(raw)
    for pattern, fmt in _SNIFFERS:
        if pattern.match(head):
            return fmt
    return _FALLBACK


def enriched_programs() -> frozenset[str]:
    """Syslog program names whose messages get more than the syslog fields (the columnar
    fast path leaves them to ``parse``)."""
    return frozenset(linux.ENRICHERS)


def json_document(document: dict[str, Any], ctx: ParseContext) -> tuple[str, Event]:
    """A decoded JSON object: its flavour's mapping when one claims it, else plain JSON."""
    for flavour in FLAVOURS:
        if flavour.claims(document):
            return flavour.name, flavour.from_document(document, ctx)
    return jsonlines.NAME, _JSON.from_document(document, ctx)


def parse_json(raw: bytes, ctx: ParseContext) -> tuple[str, Event]:
    """A JSON record: its flavour's mapping when one claims it, else plain JSON lines."""
    return json_document(jsonlines.json_object(raw, jsonlines.NAME), ctx)


def _parse_text(body: bytes, ctx: ParseContext) -> tuple[str, Event]:
    fmt = detect_syslog_format(body)
    try:
        return parse(body, ctx, fmt)
    except ParseError:
        if fmt != _FALLBACK:
            raise
    text = body.decode("utf-8", "replace").rstrip("\r\n\x00")
    if not text.strip():
        raise ParseError("empty message", parser=TEXT)
    return TEXT, {"@timestamp": ctx.received_us, "message": text}


def direct(fmt: str) -> Parser | None:
    """The parser that ``parse(raw, ctx, fmt)`` hands ``raw`` to unchanged (leading
    whitespace and BOMs aside), when that is all ``parse`` would do: a pinned format without
    options, detection, envelope, JSON flavours or syslog enrichment (``winxml``, ``zeek``,
    ``auditd``…). A batch of such records skips the dispatch per record."""
    if "\n" in fmt or fmt in DETECTING or fmt in _SYSLOG or fmt in (TEXT, jsonlines.NAME, hec.NAME):
        return None
    return PARSERS.get(fmt)


def parse(raw: bytes, ctx: ParseContext, fmt: str = "auto") -> tuple[str, Event]:
    """``(format used, fields)`` of one message; leading whitespace and BOMs are skipped.

    ``fmt`` may carry options after a newline (see the module text). Raises
    ``ParseError`` for a message the chosen parser cannot read and ``ConfigError`` for an
    unknown ``fmt``.
    """
    body = strip_lead(raw)
    fmt, _, options = fmt.partition("\n")
    if options:
        ctx = dataclasses.replace(ctx, options=options)
    if fmt == TEXT:
        return _parse_text(body, ctx)
    if fmt in DETECTING:
        fmt = detect_syslog_format(body)
    if fmt == jsonlines.NAME:
        return parse_json(body, ctx)
    if fmt == hec.NAME:
        return hec.parse_hec(body, ctx, parse, json_document)
    event = get_parser(fmt).parse(body, ctx)
    if fmt in _SYSLOG:
        enrich = linux.ENRICHERS.get(event.get("process.name") or "")
        if enrich is not None:
            enrich(event)
    return fmt, event


__all__ = ["DETECTING", "ENVELOPES", "FLAVOURS", "PARSERS", "check_format", "direct", "known_formats", "detect_syslog_format", "enriched_programs", "strip_lead",
           "get_parser", "json_document", "parse", "parse_json", "sniffer_patterns"]
