"""EVTX records: reading ``.evtx`` files, and reading a record's XML or JSON rendering.

``read_evtx`` walks an EVTX file with the ``evtx`` crate and yields each record rendered as
XML (the stored original); a record the crate cannot decode is yielded as ``(None, reason)``
and reading goes on. ``read_event_xml`` and ``evtx_json_record`` read one rendered event
into a ``WinRecord`` (raw ``System`` values, ``EventData`` items, flattened ``UserData``,
``RenderingInfo`` texts), the same record from either rendering; ``system_time_us`` reads
its ``TimeCreated``.

The crate renders every record in one fixed layout, so a regular expression for exactly that
layout (``read_fast``) reads most records several times faster than an XML parser; anything
else (Windows' compact rendering, exports, ``UserData``) goes to ElementTree (``read_tree``),
and a differential test holds the two to the same result. Text follows XML's rules on both
paths: ``\\r\\n`` and ``\\r`` become ``\\n``, and the crate's empty element (a newline and
indentation) is ``""``. A document type declaration, the only place entities can be declared,
is refused, so nothing is ever expanded; characters XML 1.0 forbids, which real records
sometimes hold, pass ElementTree as private-use stand-ins and are restored.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path
from typing import Any, BinaryIO, NamedTuple

from evtx import PyEvtxParser

from ..errors import ParseError
from ..event import Event
from ._syslog_common import MAX_US, RFC3339_LENIENT, local_to_utc_us, rfc3339_parts
from .base import ParseContext

NAME = "winxml"

#: the first bytes of an EVTX file
EVTX_MAGIC = b"ElfFile\x00"

#: UserData deeper than this is refused rather than walked
MAX_DEPTH = 32


class System(NamedTuple):
    """The raw ``System`` values of an event as text, ``None`` where the event has none
    (in the order of ``_FAST``'s groups, so that a match is one of these as it is)."""

    provider: str | None = None
    guid: str | None = None
    source_name: str | None = None
    qualifiers: str | None = None
    event_id: str | None = None
    version: str | None = None
    level: str | None = None
    task: str | None = None
    opcode: str | None = None
    keywords: str | None = None
    time: str | None = None
    record_id: str | None = None
    activity_id: str | None = None
    related_activity_id: str | None = None
    pid: str | None = None
    tid: str | None = None
    channel: str | None = None
    computer: str | None = None
    sid: str | None = None



class WinRecord(NamedTuple):
    """One Windows event before mapping, whatever shape it arrived in.

    ``system`` holds the raw ``System`` values. ``data`` is the ``EventData`` items in order, an
    unnamed ``<Data>`` with the name ``""``. ``user_data`` is the ``UserData`` element's name
    and its ``(dotted path, text)`` leaves. ``rendering`` is what ``RenderingInfo`` spelled
    out (``message``, ``level``, ``task``, ``opcode``, ``keywords``).
    """

    system: System
    data: list[tuple[str, str]]
    user_data: tuple[str, list[tuple[str, str]]] | None = None
    rendering: dict[str, Any] | None = None


# --- EVTX files ---------------------------------------------------------------------------

def read_evtx(source: Path | BinaryIO) -> Iterator[tuple[bytes | None, str]]:
    """``(rendered XML, "")`` for each record of an EVTX file, ``(None, reason)`` for a
    record the ``evtx`` crate cannot decode. Raises ``ParseError`` when the source is not an
    EVTX file at all, ``OSError`` when it cannot be read."""
    yield from evtx_records(_records(source))


def read_evtx_batches(source: Path | BinaryIO, size: int = 5_000) -> Iterator[tuple[list[bytes], str | None]]:
    """``read_evtx`` a batch at a time: ``(rendered XML of up to size records, reason)``,
    a batch ending early at a record the crate cannot decode, whose reason it carries
    (``None`` otherwise). What ``ironwatch import`` reads: a generator step per record
    costs about as much as the crate's rendering of it."""
    yield from evtx_batches(_records(source), size)


def _records(source: Path | BinaryIO) -> Iterator[Any]:
    try:
        parser = PyEvtxParser(str(source) if isinstance(source, Path) else source,
                              number_of_threads=1)
    except (RuntimeError, OSError, ValueError) as exc:
        raise ParseError(f"not a readable EVTX file: {exc}", parser=NAME) from exc
    return iter(parser.records())


def evtx_records(records: Iterator[Any]) -> Iterator[tuple[bytes | None, str]]:
    """The records of an ``evtx`` iterator as ``(XML, "")``, ``(None, reason)`` for one
    that raised (see ``evtx_batches``)."""
    for batch, error in evtx_batches(records):
        for xml in batch:
            yield xml, ""
        if error is not None:
            yield None, error


def evtx_batches(records: Iterator[Any], size: int = 5_000) -> Iterator[tuple[list[bytes], str | None]]:
    """Batches of an ``evtx`` iterator; a record that raises ends its batch and is reported.

    The crate moves past a record it fails on, so iteration normally ends by itself; a
    million failures in a row (a file of that size would hold far fewer records) is taken
    as an iterator that no longer advances, reported once, and the end of the file.
    """
    failures = 0
    while True:
        batch: list[bytes] = []  # the crate gives text: what was read is stored as UTF-8
        append = batch.append
        try:
            for _ in range(size):
                append(next(records)["data"].encode("utf-8", "replace"))
        except StopIteration:
            if batch:
                yield batch, None
            return
        except RuntimeError as exc:
            failures = 1 if batch else failures + 1
            if failures > 1_000_000:
                yield batch, "reading stopped: the EVTX reader no longer advances"
                return
            yield batch, str(exc) or type(exc).__name__
            continue
        failures = 0
        yield batch, None


# --- one record's XML ---------------------------------------------------------------------

def read_event_xml(raw: bytes) -> WinRecord:
    """The record of one rendered ``<Event>`` element; ``ParseError`` when it is not one."""
    if raw[:1] == b"<":  # the usual case: UTF-8 without a byte-order mark
        try:
            text = raw.decode()
        except UnicodeDecodeError:
            text = decode_xml(raw)
    else:
        text = decode_xml(raw).lstrip("\ufeff \t\r\n")
    return read_fast(text) or read_tree(text)


_DECLARED = re.compile(rb"""<\?xml[^>]{0,200}?encoding=["']([A-Za-z0-9._-]{1,40})["']""")


def decode_xml(raw: bytes) -> str:
    """XML bytes as text: UTF-16 with a byte-order mark, UTF-8, or the declared encoding."""
    try:
        if raw[:2] in (b"\xff\xfe", b"\xfe\xff"):
            return raw.decode("utf-16")
        return raw.decode()
    except UnicodeDecodeError as exc:
        declared = _DECLARED.match(raw.lstrip(b"\xef\xbb\xbf \t\r\n"))
        if declared is None:
            raise ParseError(f"XML is not UTF-8 and declares no encoding: {exc}",
                             parser=NAME) from exc
        try:
            return raw.decode(declared.group(1).decode())
        except (LookupError, ValueError) as exc2:  # ValueError: UnicodeError of any codec
            raise ParseError(f"XML does not decode as its declared encoding: {exc2}",
                             parser=NAME) from exc2


_ATTR = r'[^"<&\t\n\r]*+'
#: the crate's layout up to the end of ``System``; what follows is read by ``_FAST_DATA``
_FAST = re.compile(
    r'(?:<\?xml version="1\.0" encoding="utf-8"\?>\n)?+'
    r'<Event xmlns="http://schemas\.microsoft\.com/win/2004/08/events/event">\n'
    r"  <System>\n"
    rf'    <Provider Name="(?P<provider>{_ATTR})"(?: Guid="(?P<guid>{_ATTR})")?+'
    rf'(?: EventSourceName="(?P<source_name>{_ATTR})")?+>\n    </Provider>\n'
    r'    <EventID(?: Qualifiers="(?P<qualifiers>\d*+)")?+>(?P<event_id>\d++)</EventID>\n'
    r"(?:    <Version>(?P<version>\d++)</Version>\n)?+"
    r"(?:    <Level>(?P<level>\d++)</Level>\n)?+"
    r"(?:    <Task>(?P<task>\d++)</Task>\n)?+"
    r"(?:    <Opcode>(?P<opcode>\d++)</Opcode>\n)?+"
    r"(?:    <Keywords>(?P<keywords>0x[0-9A-Fa-f]++)</Keywords>\n)?+"
    rf'    <TimeCreated SystemTime="(?P<time>{_ATTR})">\n    </TimeCreated>\n'
    r"(?:    <EventRecordID>(?P<record_id>\d++)</EventRecordID>\n)?+"
    rf'(?:    <Correlation(?: ActivityID="(?P<activity_id>{_ATTR})")?+'
    rf'(?: RelatedActivityID="(?P<related_activity_id>{_ATTR})")?+>\n    </Correlation>\n)?+'
    r'(?:    <Execution ProcessID="(?P<pid>\d++)" ThreadID="(?P<tid>\d++)">\n    </Execution>\n)?+'
    r"(?:    <Channel>(?P<channel>[^<&>]*+)</Channel>\n)?+"
    r"    <Computer>(?P<computer>[^<&>]*+)</Computer>\n"
    rf'(?:    <Security(?: UserID="(?P<sid>{_ATTR})")?+>\n    </Security>\n)?+'
    r"  </System>\n", re.ASCII)
#: one ``EventData`` item of the crate's layout: (name, text); an unnamed one has name ""
_FAST_DATA = re.compile(rf'    <Data(?: Name="({_ATTR})")?+>([^<]*+)</Data>\n', re.ASCII)
_FAST_USER = re.compile(
    r'  <UserData>\n    <([A-Za-z_][\w.-]*)(?: xmlns(?::[\w.-]+)?="[^"<&]*")*>\n', re.ASCII)
_FAST_LEAF = re.compile(r"      <([A-Za-z_][\w.-]*+)>([^<]*+)</\1>\n", re.ASCII)
_DATA_OPEN = "  <EventData>\n"
_DATA_CLOSE = "  </EventData>\n</Event>"
_BINARY_OPEN = "    <Binary>"
_BINARY_CLOSE = "</Binary>\n"
_CHANNEL, _COMPUTER = System._fields.index("channel"), System._fields.index("computer")
_ENTITY = re.compile(r"&(lt|gt|amp|quot|apos);")
_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"', "apos": "'"}


def read_fast(text: str) -> WinRecord | None:
    """The record when ``text`` is in the ``evtx`` crate's own layout, else ``None``.

    Only the ``System`` part is matched character by character; the ``EventData`` items
    are found with ``_FAST_DATA``, and the part is accepted only when every ``<`` in it
    belongs to an item or to the fixed tags around them (stray text between items is
    ignored, as ElementTree ignores it).
    """
    if "\r" in text:  # XML's line-end normalization
        text = text.replace("\r\n", "\n")
        if "\r" in text:
            text = text.replace("\r", "\n")
    m = _FAST.match(text)
    if m is None:
        return None
    values = m.groups()
    channel, computer = values[_CHANNEL], values[_COMPUTER]
    if (channel and channel.strip() is not channel) or computer.strip() is not computer:
        fixed = list(values)
        fixed[_CHANNEL] = system_text(channel) if channel else channel
        fixed[_COMPUTER] = system_text(computer)
        values = tuple(fixed)
    system = System._make(values)
    pos = m.end()
    end = len(text) - (text[-1] == "\n")
    if text.startswith("</Event>", pos):
        return WinRecord(system, []) if end - pos == 8 else None
    if not text.startswith(_DATA_OPEN, pos):
        return _fast_user_data(text, pos, end, system)
    if not text.endswith(_DATA_CLOSE, pos, end):
        return None
    data: list[tuple[str, str]] = _FAST_DATA.findall(text, pos)
    end -= len(_DATA_CLOSE)
    if text.endswith(_BINARY_CLOSE, pos, end):
        start = text.rfind(_BINARY_OPEN, pos, end)
        if start < 0:
            return None
        data.append(("Binary", text[start + len(_BINARY_OPEN):end - len(_BINARY_CLOSE)]))
    tags = 2 * len(data) + 3
    if text.count("<", pos) != tags or text.count(">", pos) != tags:
        return None  # not only plain items (a raw '>' could close a ']]>'): ElementTree
    if text.find("&", pos) >= 0:
        if "&" in _ENTITY.sub("", text[pos:]):
            return None  # character references: ElementTree decides what they mean
        data = [(name, _unescape(value)) for name, value in data]
    if text.find("\n    </", pos) >= 0:  # an empty item, or one ending in a newline
        data = [(name, clean_text(value)) for name, value in data]
    return WinRecord(system, data)


def _fast_user_data(text: str, pos: int, end: int, system: System) -> WinRecord | None:
    """A ``UserData`` element whose children are plain text elements, else ``None``."""
    m = _FAST_USER.match(text, pos)
    if m is None or not text.endswith(f"    </{m.group(1)}>\n  </UserData>\n</Event>", pos, end):
        return None
    leaves: list[tuple[str, str]] = _FAST_LEAF.findall(text, m.end())
    tags = 2 * len(leaves) + 5
    if text.count("<", pos) != tags or text.count(">", pos) != tags:
        return None
    if text.find("&", pos) >= 0:
        if "&" in _ENTITY.sub("", text[pos:]):
            return None
        leaves = [(name, _unescape(value)) for name, value in leaves]
    leaves = [(name, clean_text(value)) for name, value in leaves]
    return WinRecord(system, [], (m.group(1), leaves))


def _unescape(text: str) -> str:
    return _ENTITY.sub(lambda e: _ENTITIES[e.group(1)], text) if "&" in text else text


def clean_text(text: str) -> str:
    """Element text as Ironwatch keeps it: XML line ends, and the crate's empty element
    (a newline and indentation) as the empty string."""
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    if text[:2] == "\n " and not text.strip(" ")[1:]:
        return ""
    return text


def system_text(text: str) -> str:
    """A ``System`` element's text: surrounding whitespace never means anything there."""
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text.strip()


# --- any other XML: ElementTree -----------------------------------------------------------

#: characters XML 1.0 forbids, and the private-use characters that stand in for them
_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_STAND_IN = {c: 0xF0000 + i for i, c in enumerate(
    [*range(0x09), 0x0B, 0x0C, *range(0x0E, 0x20), 0xFFFE, 0xFFFF])}
_RESTORE = {v: k for k, v in _STAND_IN.items()}
_SYSTEM_ATTRS = {
    "Provider": (("Name", "provider"), ("Guid", "guid"), ("EventSourceName", "source_name")),
    "EventID": (("Qualifiers", "qualifiers"),),
    "TimeCreated": (("SystemTime", "time"),),
    "Correlation": (("ActivityID", "activity_id"), ("RelatedActivityID", "related_activity_id")),
    "Execution": (("ProcessID", "pid"), ("ThreadID", "tid")),
    "Security": (("UserID", "sid"),),
}
_SYSTEM_TEXTS = {"EventID": "event_id", "Version": "version", "Level": "level", "Task": "task",
                 "Opcode": "opcode", "Keywords": "keywords", "EventRecordID": "record_id",
                 "Channel": "channel", "Computer": "computer"}
_RENDERED = {"Message": "message", "Level": "level", "Task": "task", "Opcode": "opcode"}


def read_tree(document: str) -> WinRecord:
    """The record of any well-formed ``<Event>`` document, read with ElementTree."""
    if "<!DOCTYPE" in document:
        raise ParseError("XML with a document type declaration is refused (entities are "
                         "never expanded)", parser=NAME)
    stand_ins = _FORBIDDEN.search(document) is not None
    if stand_ins:
        document = document.translate(_STAND_IN)
    try:
        root = ET.fromstring(document)
    except (ET.ParseError, ValueError) as exc:
        raise ParseError(f"not well-formed XML: {exc}", parser=NAME) from exc
    return _TreeReader(stand_ins).record(root)


def _local(tag: str) -> str:
    return tag.rpartition("}")[2] if tag[:1] == "{" else tag


class _TreeReader:
    """Reads an ``<Event>`` element tree; restores stand-in characters when there are any."""

    def __init__(self, stand_ins: bool) -> None:
        self.stand_ins = stand_ins

    def text(self, text: str | None) -> str:
        if not text:
            return ""
        return text.translate(_RESTORE) if self.stand_ins else text

    def record(self, root: ET.Element) -> WinRecord:
        if _local(root.tag) != "Event":
            raise ParseError(f"root element is <{_local(root.tag)[:40]}>, not <Event>",
                             parser=NAME)
        system: System | None = None
        data: list[tuple[str, str]] = []
        user_data = rendering = None
        for child in root:
            tag = _local(child.tag)
            if tag == "System":
                system = self.system(child)
            elif tag == "EventData":
                data = self.event_data(child)
            elif tag == "UserData":
                user_data = self.user_data(child)
            elif tag == "RenderingInfo":
                rendering = self.rendering(child)
        if system is None:
            raise ParseError("<Event> has no <System> element", parser=NAME)
        return WinRecord(system, data, user_data, rendering)

    def system(self, node: ET.Element) -> System:
        system: dict[str, Any] = {}
        for child in node:
            tag = _local(child.tag)
            key = _SYSTEM_TEXTS.get(tag)
            if key is not None:
                system[key] = system_text(self.text(child.text))
            for attr, attr_key in _SYSTEM_ATTRS.get(tag, ()):
                value = child.get(attr)
                if value is not None:
                    system[attr_key] = self.text(value)
        return System(**system)

    def event_data(self, node: ET.Element) -> list[tuple[str, str]]:
        items: list[tuple[str, str]] = []
        for child in node:
            tag = _local(child.tag)
            name = self.text(child.get("Name")) or ("" if tag == "Data" else tag)
            items.append((name, clean_text(self.text(child.text))))
        return items

    def user_data(self, node: ET.Element) -> tuple[str, list[tuple[str, str]]] | None:
        for child in node:
            leaves: list[tuple[str, str]] = []
            self.flatten(child, "", leaves, 0)
            return _local(child.tag), leaves
        return None

    def flatten(self, node: ET.Element, prefix: str, out: list[tuple[str, str]],
                depth: int) -> None:
        """Leaves of a ``UserData`` element as ``flatten_json`` gives them for the JSON
        rendering: ``a.b`` paths, attributes as ``element.attribute``."""
        if depth > MAX_DEPTH:
            raise ParseError(f"UserData nested deeper than {MAX_DEPTH} levels", parser=NAME)
        for attr, value in node.attrib.items():
            out.append((prefix + _local(attr), self.text(value)))
        for child in node:
            name = prefix + _local(child.tag)
            if len(child):
                self.flatten(child, name + ".", out, depth + 1)
                continue
            text = clean_text(self.text(child.text))
            for attr, value in child.attrib.items():
                out.append((f"{name}.{_local(attr)}", self.text(value)))
            if text or not child.attrib:
                out.append((name, text))

    def rendering(self, node: ET.Element) -> dict[str, Any]:
        rendered: dict[str, Any] = {}
        for child in node:
            tag = _local(child.tag)
            if tag in _RENDERED:
                rendered[_RENDERED[tag]] = clean_text(self.text(child.text))
            elif tag == "Keywords":
                rendered["keywords"] = [system_text(self.text(k.text)) for k in child
                                        if _local(k.tag) == "Keyword" and k.text]
        return rendered


# --- the record's time ------------------------------------------------------------------

@lru_cache(maxsize=4096)
def _second_us(head: str) -> int | None:
    """``YYYY-MM-DDTHH:MM:SS`` as epoch µs when it is one, within 1970..9999."""
    m = RFC3339_LENIENT.fullmatch(head)
    if m is None:
        return None
    try:
        wall_us, _ = rfc3339_parts(m, NAME)
    except ParseError:
        return None
    return wall_us if 0 <= wall_us < MAX_US - 1_000_000 else None


def system_time_us(text: str, parser: str) -> int:
    """``System/TimeCreated/@SystemTime`` as epoch µs: UTC, with or without the ``Z``;
    fraction digits past the sixth (Windows writes seven or nine) are truncated."""
    us = _second_us(text[:19])
    if us is not None:
        if len(text) == 27 and text[26] == "Z" and text[19] == "." and text[20:26].isdecimal():
            return us + int(text[20:26])  # the crate's rendering
        rest = text[19:].rstrip("Zz")
        if rest[:1] == "." and rest[1:].isascii() and rest[1:].isdigit():
            us += int(rest[1:7].ljust(6, "0"))
        elif rest:
            us = None
    if us is None or not 0 <= us < MAX_US:
        return iso_time_us(text, "SystemTime", None, parser)
    return us


def iso_time_us(text: str, field: str, local: ParseContext | None, parser: str,
                event: Event | None = None) -> int:
    """An ISO 8601 time as epoch µs. Zone-less text is UTC, or, given ``local``, wall time
    in the zone configured for the event's ``host.name`` (recorded in ``event.timezone``)."""
    m = RFC3339_LENIENT.fullmatch(text.strip())
    if m is None:
        raise ParseError(f"{field} is not an ISO 8601 time: {text[:40]!r}", parser=parser)
    wall_us, offset_us = rfc3339_parts(m, parser)
    if offset_us is not None:
        us = wall_us - offset_us
    elif local is None or event is None:
        us = wall_us
    else:
        host = event.get("host.name")
        zone = local.zone_for_host(host if isinstance(host, str) else None)
        event["event.timezone"] = zone.key
        us = local_to_utc_us(wall_us, zone)
    if not 0 <= us < MAX_US:
        raise ParseError(f"{field} is outside 1970..9999: {text[:40]!r}", parser=parser)
    return us


__all__ = ["EVTX_MAGIC", "MAX_DEPTH", "System", "WinRecord", "clean_text", "decode_xml",
           "evtx_batches", "evtx_records", "iso_time_us", "read_event_xml", "read_evtx", "read_evtx_batches", "read_fast", "read_tree",
           "system_text", "system_time_us"]
