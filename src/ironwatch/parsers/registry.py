"""The one place parsers are registered, and per-message format detection for syslog ports.

``PARSERS`` maps a format name (as configs and ``--input-format`` spell it) to its parser.
``auto`` and ``syslog`` are not parsers: they ask ``detect_syslog_format`` for each message,
which tries ``_SNIFFERS`` in order and falls back to RFC 3164, the format that accepts
nearly anything. A new format is one entry in each table (the sniffer only if a syslog
port may carry it).
"""

from __future__ import annotations

import re

from ..errors import ConfigError
from ..event import Event
from . import asa, cef, fortigate, leef, panos
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

PARSERS: dict[str, Parser] = {
    parser.name: parser
    for parser in (Rfc5424Parser(), Rfc3164Parser(), JsonLinesParser(), CefParser(), LeefParser(),
                   AsaParser(), FortigateParser(), PanosParser(), KeyValueParser())
}

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
    (re.compile(cef.DETECT, re.DOTALL), "cef"),
    (re.compile(leef.DETECT, re.DOTALL), "leef"),
    (re.compile(asa.DETECT, re.DOTALL), "asa"),
    (re.compile(fortigate.DETECT, re.DOTALL), "fortigate"),
    (re.compile(panos.DETECT, re.DOTALL), "panos"),
    (re.compile(rb"<\d{1,3}>1 "), "rfc5424"),
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
        known = ", ".join(sorted([*PARSERS, *DETECTING]))
        raise ConfigError(f"unknown input format {name!r} (known: {known})")
    return parser


def _strip_lead(raw: bytes) -> bytes:
    raw = raw.lstrip()
    while raw.startswith(_BOM):
        raw = raw[len(_BOM):].lstrip()
    return raw


def detect_syslog_format(raw: bytes) -> str:
    """The format of one message received on a syslog or auto-detecting input."""
    head = _strip_lead(raw)
    for pattern, fmt in _SNIFFERS:
        if pattern.match(head):
            return fmt
    return _FALLBACK


def parse(raw: bytes, ctx: ParseContext, fmt: str = "auto") -> tuple[str, Event]:
    """``(format used, fields)`` of one message; leading whitespace and BOMs are skipped.

    Raises ``ParseError`` for a message the chosen parser cannot read and ``ConfigError``
    for an unknown ``fmt``.
    """
    body = _strip_lead(raw)
    if fmt in DETECTING:
        fmt = detect_syslog_format(body)
    return fmt, get_parser(fmt).parse(body, ctx)


__all__ = ["DETECTING", "PARSERS", "detect_syslog_format", "get_parser", "parse",
           "sniffer_patterns"]
