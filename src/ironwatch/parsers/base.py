"""The parser contract: bytes in, a flat ECS dict out, or ``ParseError``.

A parser reads one record's original bytes and returns the fields it found, keyed by ECS
dotted names (``@timestamp`` as epoch microseconds UTC, ``host.name``, ``message``,
``log.syslog.*``…). It never sets identity fields (``event.id``, ``event.created``,
``event.original``, ``log.source.address``, ``ironwatch.*``): the pipeline does. Any
problem with the input raises ``ParseError`` with a human-readable reason, never another
exception type (property tests hold every parser to this).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Protocol
from zoneinfo import ZoneInfo

from ..errors import ParseError
from ..event import Event

UTC_ZONE = ZoneInfo("UTC")


def _utc_for_any_host(host: str | None) -> ZoneInfo:
    return UTC_ZONE


@dataclass(frozen=True)
class ParseContext:
    """What a parser may know besides the bytes.

    ``received_us`` is the receipt time (epoch µs, UTC). ``zone_for_host`` gives the
    configured IANA zone for a sender, by the host name found in the message (or ``None``
    when the message has none); formats without a zone interpret local times in it and
    record its key in ``event.timezone``.

    ``options`` is what followed the format name in a pinned format (``name\noptions``):
    for Zeek TSV the file's header lines, for Zeek JSON the log's path. A format whose
    records cannot be read alone gets it from the file framer (``ironwatch import``) or
    the shipper that pinned the format.
    """

    received_us: int
    zone_for_host: Callable[[str | None], ZoneInfo] = field(default=_utc_for_any_host)
    source_address: str = ""
    options: str = ""


class Parser(Protocol):
    name: str

    def parse(self, raw: bytes, ctx: ParseContext) -> Event:
        """Fields found in ``raw``; raises ``ParseError`` (only) when it cannot."""
        ...


class JsonFlavour(Protocol):
    """A JSON shape with its own mapping (Suricata EVE, Winlogbeat, Zeek): the ``json``
    parser decodes once and hands the document to the first flavour that claims it."""

    name: str

    def claims(self, document: dict[str, object]) -> bool:
        """Whether this document has this flavour's shape (cheap: a few key lookups)."""
        ...

    def from_document(self, document: dict[str, object], ctx: ParseContext) -> Event:
        """Fields of a claimed document; raises ``ParseError`` (only) when it cannot."""
        ...


__all__ = ["JsonFlavour", "ParseContext", "ParseError", "Parser", "UTC_ZONE"]
