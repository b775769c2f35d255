"""The syslog envelope around a vendor payload (CEF, LEEF, Cisco ASA, FortiGate, PAN-OS).

Many devices put their own record after an RFC 3164 or RFC 5424 header, or after only a PRI.
``SYSLOG_PREFIX`` is what may come before such a payload, in the regex syntax Python and RE2
share (the registry sniffs with it, and the columnar fast path refuses what it claims);
``read_syslog_envelope`` reads that header with the syslog parsers themselves, so PRI, host
and time mean the same thing whatever follows them.
"""

from __future__ import annotations

import re

from ..errors import ParseError
from ..event import Event
from ._syslog_common import PRIORITY_FIELDS, parse_pri
from .base import ParseContext
from .rfc3164 import Rfc3164Parser
from .rfc5424 import Rfc5424Parser

#: what may come before a payload: a syslog header without ``|`` that ends in a space, or
#: only a PRI
SYSLOG_PREFIX = r"(?:<\d{1,3}>|[^|]* )?"
#: the same, shortest first: for payloads whose start marker may recur inside them
#: (``key=``, a CSV line), the payload is the first place the marker fits
SYSLOG_PREFIX_SHORTEST = r"(?:<\d{1,3}>|[^|]*? )??"

_ONLY_PRI = re.compile(r"<\d{1,3}>", re.ASCII)
_PRI_START = _ONLY_PRI
_RFC5424_HEAD = re.compile(r"<\d{1,3}>1 ", re.ASCII)
_RFC5424 = Rfc5424Parser()
_RFC3164 = Rfc3164Parser()


def read_syslog_envelope(head: str, ctx: ParseContext, parser: str) -> Event:
    """The syslog fields of the header before a CEF/LEEF payload (only the receipt time when
    there is no header).

    The header is read by the RFC 5424 or RFC 3164 parser; text they leave as a message
    (a tag's words) is dropped, since the payload is the message. A header they refuse is
    refused, under ``parser``'s name.
    """
    event: Event = {"@timestamp": ctx.received_us}
    head = head.rstrip(" ")
    if not head:
        return event
    if _ONLY_PRI.fullmatch(head):
        pri, _ = parse_pri(head, parser)
        event.update(PRIORITY_FIELDS[pri])
        return event
    fields = _syslog_fields(head, ctx, parser)
    fields.pop("message", None)
    return fields


def _syslog_fields(text: str, ctx: ParseContext, parser: str) -> Event:
    syslog = _RFC5424 if _RFC5424_HEAD.match(text + " ") else _RFC3164
    try:
        return syslog.parse(text.encode(), ctx)
    except ParseError as exc:
        raise ParseError(f"syslog header before the payload: {exc.reason}", parser=parser) from exc


def split_syslog_message(text: str, ctx: ParseContext, parser: str) -> tuple[Event, str]:
    """(header fields, message) of a line that starts with a PRI, read by the syslog parsers
    (for payloads with no start marker of their own, such as ``key=value`` pairs); a line
    without a PRI is all message, with the receipt time."""
    if not _PRI_START.match(text):
        return {"@timestamp": ctx.received_us}, text
    fields = _syslog_fields(text, ctx, parser)
    return fields, str(fields.pop("message", "") or "")


__all__ = ["SYSLOG_PREFIX", "SYSLOG_PREFIX_SHORTEST", "open_envelope", "read_syslog_envelope",
           "split_syslog_message"]


def open_envelope(raw: bytes, start: re.Pattern[str], ctx: ParseContext, parser: str,
                  missing: str) -> tuple[str, re.Match[str], Event]:
    """(text, payload match, header fields) of a vendor record, bare or after a syslog header.

    ``start`` must capture the payload's beginning as group 1; ``missing`` is the reason
    given when the record has no such payload.
    """
    text = raw.decode("utf-8", "replace").rstrip("\r\n\x00").lstrip()
    m = start.match(text)
    if m is None:
        raise ParseError(missing, parser=parser)
    return text, m, read_syslog_envelope(text[:m.start(1)], ctx, parser)
