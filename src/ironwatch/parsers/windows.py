"""Windows events: rendered XML (EVTX records, exports, WEF) and JSON (Winlogbeat, NXLog,
evtx/xmltodict) as ``winlog.*`` fields the way Winlogbeat lays them out, plus ECS.

Every input shape is first read into one ``WinRecord`` (``evtx_file`` reads the XML; the
JSON shapes are read here), and one function, ``record_event``, turns a record into fields,
so the same event gives the same ``winlog.*`` fields whichever way it arrived:

- ``winlog.event_id`` is text (as Winlogbeat 8 writes it), ``winlog.record_id`` the
  ``System/EventRecordID`` as an integer, ``winlog.version``, ``winlog.process.pid`` and
  ``winlog.process.thread.id`` integers;
- ``winlog.task``, ``winlog.opcode``, ``winlog.level`` and ``winlog.keywords`` are the names
  Windows rendered when the input carries them (``RenderingInfo``, Winlogbeat, NXLog), else
  the standard names of ``winmeta.xml`` (opcodes 0-9, levels 0-5, the standard keyword bits),
  else the number as text;
- ``winlog.event_data.<Name>`` holds every ``<Data>`` as the text Windows renders (JSON
  booleans become ``true``/``false``, empty values stay ``""``); unnamed ``<Data>`` go to
  ``winlog.event_data.Data`` (one value, or a list when there are several), ``<Binary>`` to
  ``winlog.event_data.Binary``; ``winlog.user_data.xml_name`` names the ``UserData`` element
  and ``winlog.user_data.<path>`` holds its leaves.

``windows_ecs`` then adds the ECS fields of the common event ids.
"""

from __future__ import annotations

from operator import itemgetter
from typing import Any

import orjson

from ..errors import ParseError
from ..event import Event
from .base import JsonFlavour, ParseContext, Parser
from .evtx_file import (
    EVTX_MAGIC,
    MAX_DEPTH,
    System,
    WinRecord,
    clean_text,
    iso_time_us,
    read_event_xml,
    read_evtx,
    read_evtx_batches,
    system_text,
    system_time_us,
)
from .windows_ecs import Mapping, apply_mapping, finish, mapping_of, static_fields
from .jsonlines import json_object

XML_NAME = "winxml"
JSON_NAME = "winjson"

_MAX_KEYS = 20_000  # bound on the cache of event-data field names


class WinXmlParser:
    """One rendered ``<Event>`` element (an EVTX record, a WEF or wevtutil export)."""

    name = XML_NAME

    def parse(self, raw: bytes, ctx: ParseContext) -> Event:
        return record_event(read_event_xml(raw), ctx, XML_NAME)


class WinJsonParser:
    """One Windows event as JSON: Winlogbeat, NXLog/flat, or evtx/xmltodict ``Event``."""

    name = JSON_NAME

    def parse(self, raw: bytes, ctx: ParseContext) -> Event:
        return json_event(json_object(raw, JSON_NAME), ctx)


class WindowsJsonFlavour:
    """Recognises Windows JSON arriving on a generic JSON input."""

    name = JSON_NAME

    def claims(self, document: dict[str, object]) -> bool:
        return json_shape(document) is not None

    def from_document(self, document: dict[str, object], ctx: ParseContext) -> Event:
        return json_event(document, ctx)


def json_shape(document: dict[str, Any]) -> str | None:
    """``winlogbeat``, ``evtx`` or ``flat`` when the document has that shape, else ``None``."""
    winlog = document.get("winlog")
    if isinstance(winlog, dict) and ("event_id" in winlog or "provider_name" in winlog):
        return "winlogbeat"
    event = document.get("Event")
    if isinstance(event, dict) and isinstance(event.get("System"), dict):
        return "evtx"
    if "EventID" in document and "Hostname" in document and (
            "Channel" in document or "SourceName" in document):
        return "flat"
    return None


def json_event(document: dict[str, Any], ctx: ParseContext) -> Event:
    """The fields of a Windows JSON document of any of the three shapes."""
    shape = json_shape(document)
    if shape == "winlogbeat":
        return winlogbeat_event(document, ctx)
    if shape == "evtx":
        return record_event(evtx_json_record(document["Event"]), ctx, JSON_NAME)
    if shape == "flat":
        return flat_event(document, ctx)
    raise ParseError("not Windows JSON: expected a 'winlog' object (Winlogbeat), an "
                     "'Event' object with 'System' (evtx), or EventID, Hostname and "
                     "Channel or SourceName at the top level (NXLog)", parser=JSON_NAME)


# --- a record as fields --------------------------------------------------------------------

def record_event(record: WinRecord, ctx: ParseContext, parser: str) -> Event:
    """The ``winlog.*`` and ECS fields of one record.

    The fields that follow from the ``System`` values that repeat from record to record
    (provider, channel, computer, event id, level, task…) are computed once per distinct
    combination and copied; only the time, the ids and the event data are read each time.
    """
    system, rendering = record.system, record.rendering
    if rendering:
        event = static_fields(system, rendering, parser)
        mapping = mapping_of(event)
    else:
        key = _STATIC_KEY(system)
        cached = _STATIC.get(key)
        if cached is None:
            static = static_fields(system, {}, parser)
            if len(_STATIC) >= _STATIC_MAX:
                _STATIC.clear()
            cached = _STATIC[key] = (static, mapping_of(static))
        static, mapping = cached
        event = static.copy()
        keywords = event.get("winlog.keywords")
        if keywords:
            event["winlog.keywords"] = list(keywords)  # a list of its own per event
    time = system.time
    # FILETIME zero (1601-01-01T00:00:00Z) is Windows' "not set": like no time at all
    event["@timestamp"] = (system_time_us(time, parser) if time and not time.startswith(
        _FILETIME_ZERO) else ctx.received_us)
    record_id, pid, tid = system.record_id, system.pid, system.tid
    if record_id and record_id.isdecimal():
        event["winlog.record_id"] = int(record_id)
    if pid and pid.isdecimal():
        event["winlog.process.pid"] = int(pid)
    if tid and tid.isdecimal():
        event["winlog.process.thread.id"] = int(tid)
    if system.activity_id:
        event["winlog.activity_id"] = system.activity_id
    if system.related_activity_id:
        event["winlog.related_activity_id"] = system.related_activity_id
    _event_data(record.data, event)
    if record.user_data is not None:
        user_data_fields(record.user_data, event)
    message = (rendering or {}).get("message")
    if message:
        event["message"] = message
    apply_mapping(event, mapping)
    return event


_FILETIME_ZERO = "1601-01-01T00:00:00"
#: the ``System`` values that repeat from record to record, and the fields they gave
_STATIC_KEY = itemgetter(*map(System._fields.index, (
    "provider", "guid", "source_name", "event_id", "version", "level", "task", "opcode",
    "keywords", "channel", "computer", "sid")))
#: the fields of each combination of repeating ``System`` values, and its ECS mapping
_STATIC: dict[Any, tuple[Event, Mapping | None]] = {}
_STATIC_MAX = 4096


class _EventDataKeys(dict[str, str]):
    """``winlog.event_data.<Name>`` by ``Name``, made once per name (at most ``_MAX_KEYS`` kept)."""

    def __missing__(self, name: str) -> str:
        key = "winlog.event_data." + name
        if len(self) < _MAX_KEYS:
            self[name] = key
        return key


_ED_KEYS = _EventDataKeys()
_ED_KEY = _ED_KEYS.__getitem__


def event_data_key(name: str) -> str:
    return _ED_KEY(name)


def _event_data(items: list[tuple[str, str]], event: Event) -> None:
    if not items:
        return
    names, values = zip(*items)
    if "" not in names:  # the usual case, all in C: one update, keys from the cache
        event.update(zip(map(_ED_KEY, names), values))
        return
    unnamed: list[str] = []
    for name, value in items:
        if not name:
            unnamed.append(value)
        else:
            event[_ED_KEY(name)] = value
    if unnamed:
        event["winlog.event_data.Data"] = unnamed[0] if len(unnamed) == 1 else unnamed


def user_data_fields(user_data: tuple[str, list[tuple[str, str]]], event: Event) -> None:
    """``winlog.user_data.*``: the element's name, then its leaves (repeated ones as lists)."""
    xml_name, leaves = user_data
    event["winlog.user_data.xml_name"] = xml_name
    for path, value in leaves:
        key = "winlog.user_data." + path
        if key not in event:
            event[key] = value
        elif isinstance(event[key], list):
            event[key].append(value)
        else:
            event[key] = [event[key], value]


# --- JSON shapes: the evtx crate's (and xmltodict's) rendering, Winlogbeat, NXLog ----------

def json_text(value: Any) -> str:
    """A JSON value as the text Windows renders: ``true``/``false``, numbers as written,
    ``null`` as the empty string."""
    if isinstance(value, str):
        return clean_text(value)
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    return bytes(orjson.dumps(value)).decode()


def _attr(node: Any, name: str) -> Any:
    """An attribute of an evtx-JSON (``#attributes``) or xmltodict (``@Name``) element."""
    if not isinstance(node, dict):
        return None
    attrs = node.get("#attributes")
    if isinstance(attrs, dict) and name in attrs:
        return attrs[name]
    return node.get("@" + name)


def _content(node: Any) -> Any:
    return node.get("#text") if isinstance(node, dict) else node


_JSON_SYSTEM = (("event_id", "EventID", None), ("version", "Version", None),
                ("level", "Level", None), ("task", "Task", None), ("opcode", "Opcode", None),
                ("keywords", "Keywords", None), ("record_id", "EventRecordID", None),
                ("channel", "Channel", None), ("computer", "Computer", None),
                ("provider", "Provider", "Name"), ("guid", "Provider", "Guid"),
                ("source_name", "Provider", "EventSourceName"),
                ("qualifiers", "EventID", "Qualifiers"), ("time", "TimeCreated", "SystemTime"),
                ("activity_id", "Correlation", "ActivityID"),
                ("related_activity_id", "Correlation", "RelatedActivityID"),
                ("pid", "Execution", "ProcessID"), ("tid", "Execution", "ThreadID"),
                ("sid", "Security", "UserID"))


def evtx_json_record(event: dict[str, Any]) -> WinRecord:
    """The record of an ``Event`` object as the evtx crate (``evtx_dump -o json``, also with
    ``--separate-json-attributes``) or xmltodict render it."""
    node = event["System"]
    system: dict[str, Any] = {}
    for key, element, attribute in _JSON_SYSTEM:
        if attribute is None:
            value = _content(node.get(element))
        else:
            value = _attr(node.get(element), attribute)
            if value is None and isinstance(node.get(element + "_attributes"), dict):
                value = node[element + "_attributes"].get(attribute)
        if value is not None and not isinstance(value, (dict, list)):
            system[key] = system_text(json_text(value))
    user_data = None
    for name, value in _children(event.get("UserData")):
        leaves: list[tuple[str, str]] = []
        _flatten_json(value, "", leaves, 0)
        user_data = (name, leaves)
        break
    rendering = _json_rendering(event.get("RenderingInfo"))
    return WinRecord(System(**system), _json_event_data(event.get("EventData")), user_data,
                     rendering)


def _children(node: Any) -> list[tuple[str, Any]]:
    """Child elements of a JSON element, repeated ones (JSON lists) one by one."""
    if not isinstance(node, dict):
        return []
    children = []
    for key, value in node.items():
        if key in ("#attributes", "#text") or key[:1] == "@" or key.endswith("_attributes"):
            continue
        base, _, count = key.rpartition("_")
        if count.isdigit() and base in node:
            key = base  # the crate names repeated elements X, X_1, X_2...
        for item in value if isinstance(value, list) else (value,):
            children.append((key.rpartition(":")[2], item))
    return children


def _json_event_data(node: Any) -> list[tuple[str, str]]:
    items: list[tuple[str, str]] = []
    for key, value in _children(node):
        if key != "Data":
            items.append((key, json_text(_content(value))))
            continue
        text = _content(value)
        if isinstance(text, list):  # the evtx crate's several unnamed <Data>
            items.extend(("", json_text(part)) for part in text)
        else:
            name = _attr(value, "Name")
            items.append((json_text(name) if name else "", json_text(text)))
    return items


def _flatten_json(node: Any, prefix: str, out: list[tuple[str, str]], depth: int) -> None:
    """The leaves of a JSON ``UserData`` element, as ``evtx_file`` flattens the XML."""
    if depth > MAX_DEPTH:
        raise ParseError(f"UserData nested deeper than {MAX_DEPTH} levels", parser=JSON_NAME)
    for attr, value in _attributes(node):
        out.append((prefix + attr, json_text(value)))
    for name, child in _children(node):
        path = prefix + name
        if _children(child):
            _flatten_json(child, path + ".", out, depth + 1)
            continue
        attrs = _attributes(child)
        for attr, value in attrs:
            out.append((f"{path}.{attr}", json_text(value)))
        text = json_text(_content(child)) if not isinstance(_content(child), dict) else ""
        if text or not attrs:
            out.append((path, text))


def _attributes(node: Any) -> list[tuple[str, Any]]:
    if not isinstance(node, dict):
        return []
    found = node.get("#attributes")
    pairs = list(found.items()) if isinstance(found, dict) else []
    pairs += [(k[1:], v) for k, v in node.items() if k[:1] == "@"]
    return [(k.rpartition(":")[2], v) for k, v in pairs
            if k != "xmlns" and not k.startswith("xmlns:")]


def _json_rendering(node: Any) -> dict[str, Any] | None:
    if not isinstance(node, dict):
        return None
    rendered: dict[str, Any] = {}
    for key, field in (("Message", "message"), ("Level", "level"), ("Task", "task"),
                       ("Opcode", "opcode")):
        value = _content(node.get(key))
        if isinstance(value, str) and value:
            rendered[field] = clean_text(value)
    keywords = node.get("Keywords")
    words = _content(keywords.get("Keyword")) if isinstance(keywords, dict) else None
    if words:
        rendered["keywords"] = [system_text(json_text(w)) for w in
                                (words if isinstance(words, list) else [words])]
    return rendered


def winlogbeat_event(document: dict[str, Any], ctx: ParseContext) -> Event:
    """A Winlogbeat document: its ``winlog`` object as it is (types and names normalized as
    ``record_event`` gives them), ``@timestamp``, ``message`` and ``log.level``; the ECS
    fields are derived again from ``winlog.*``, and the shipper's ``agent.*`` and ``tags``
    are kept."""
    winlog: dict[str, Any] = document["winlog"]
    event: Event = {}
    _flatten_winlog(winlog, "winlog.", event, 0)
    event_id = json_text(winlog.get("event_id"))
    if not (event_id.isascii() and event_id.isdigit()):
        raise ParseError(f"winlog.event_id is not a number: {event_id[:20]!r}",
                         parser=JSON_NAME)
    event.update({"event.kind": "event", "event.code": event_id, "winlog.event_id": event_id})
    for field in ("winlog.record_id", "winlog.version", "winlog.process.pid",
                  "winlog.process.thread.id"):
        value = event.pop(field, None)
        text = json_text(value) if not isinstance(value, (list, dict)) else ""
        if text.isascii() and text.isdigit():
            event[field] = int(text)
    guid = event.get("winlog.provider_guid")
    if isinstance(guid, str) and guid and guid[:1] != "{":
        event["winlog.provider_guid"] = "{" + guid + "}"
    keywords = event.get("winlog.keywords")
    if isinstance(keywords, str):
        event["winlog.keywords"] = [keywords]
    level = event.get("winlog.level") or _nested(document, "log", "level")
    if isinstance(level, str) and level:
        event["winlog.level"] = level.lower()
    time = event.pop("winlog.time_created", None) or document.get("@timestamp")
    event["@timestamp"] = (iso_time_us(time, "@timestamp", None, JSON_NAME)
                           if isinstance(time, str) else ctx.received_us)
    message = document.get("message")
    if isinstance(message, str) and message:
        event["message"] = clean_text(message)
    agent = document.get("agent")
    if isinstance(agent, dict):
        event.update((f"agent.{k}", v) for k, v in agent.items() if isinstance(v, str))
    _keep_tags(document, event)
    finish(event)
    return event


def _nested(document: dict[str, Any], *path: str) -> Any:
    node: Any = document
    for key in path:
        node = node.get(key) if isinstance(node, dict) else None
    return node


def _flatten_winlog(node: dict[str, Any], prefix: str, out: Event, depth: int) -> None:
    """``winlog`` flattened with dots, every value as text as ``record_event`` gives it (lists
    of text for keywords and repeated data); ``null`` is dropped, except in event data."""
    if depth > MAX_DEPTH:
        raise ParseError(f"winlog nested deeper than {MAX_DEPTH} levels", parser=JSON_NAME)
    data = prefix.startswith(("winlog.event_data.", "winlog.user_data."))
    for key, value in node.items():
        if isinstance(value, dict):
            _flatten_winlog(value, f"{prefix}{key}.", out, depth + 1)
        elif value is not None or data:
            listed = isinstance(value, list) and (data or prefix + key == "winlog.keywords")
            out[prefix + key] = [json_text(v) for v in value] if listed else json_text(value)


def _keep_tags(document: dict[str, Any], event: Event) -> None:
    tags = document.get("tags")
    if isinstance(tags, list) and all(isinstance(t, str) for t in tags):
        event["tags"] = list(tags)


#: NXLog's own fields and Logstash's, never event data
_FLAT_SYSTEM = (("provider", "SourceName"), ("guid", "ProviderGuid"), ("event_id", "EventID"),
                ("version", "Version"), ("level", "Level"), ("task", "Task"),
                ("opcode", "OpcodeValue"), ("keywords", "Keywords"),
                ("record_id", "RecordNumber"), ("activity_id", "ActivityID"),
                ("related_activity_id", "RelatedActivityID"), ("pid", "ExecutionProcessID"),
                ("tid", "ThreadID"), ("channel", "Channel"), ("computer", "Hostname"),
                ("sid", "UserID"))
_FLAT_USER = (("AccountName", "winlog.user.name"), ("Domain", "winlog.user.domain"),
              ("AccountType", "winlog.user.type"))
_FLAT_TIMES = ("TimeCreated", "EventTime", "@timestamp")
_FLAT_META = frozenset({key for _, key in _FLAT_SYSTEM} | {key for key, _ in _FLAT_USER}
                       | set(_FLAT_TIMES) | {
    "Message", "Category", "Opcode", "EventType", "EventTypeOrignal", "Severity",
    "SeverityValue", "EventReceivedTime", "SourceModuleName", "SourceModuleType",
    "@version", "host", "port", "tags"})
_EVENT_TYPE_LEVELS = {"AUDIT_SUCCESS": "information", "AUDIT_FAILURE": "information",
                      "INFO": "information", "INFORMATION": "information",
                      "WARNING": "warning", "ERROR": "error", "CRITICAL": "critical",
                      "VERBOSE": "verbose"}


def flat_event(document: dict[str, Any], ctx: ParseContext) -> Event:
    """A flat document (NXLog ``im_msvistalog`` + ``to_json()``, Mordor/OTRF): System values
    under NXLog's names, event data at the top level, times local to the sender when they
    carry no zone."""
    system = System(**{key: system_text(json_text(document[name])) for key, name in _FLAT_SYSTEM
                       if name in document and not isinstance(document[name], (dict, list))})
    event_type = str(document.get("EventType") or "").upper()
    rendering: dict[str, Any] = {}
    for field, name in (("task", "Category"), ("opcode", "Opcode"), ("message", "Message")):
        value = document.get(name)
        if isinstance(value, str) and value:
            rendering[field] = clean_text(value)
    if not system.level and event_type in _EVENT_TYPE_LEVELS:
        rendering["level"] = _EVENT_TYPE_LEVELS[event_type]
    if not system.keywords and event_type.startswith("AUDIT_"):
        rendering["keywords"] = ["Audit " + event_type[6:].capitalize()]
    data: list[tuple[str, str]] = []
    for key, value in document.items():
        if key not in _FLAT_META:
            _flat_data(key, value, data, 0)
    event = record_event(WinRecord(system, data, None, rendering), ctx, JSON_NAME)
    for name, field in _FLAT_USER:
        value = document.get(name)
        if isinstance(value, str) and value:
            event[field] = value
    for name in _FLAT_TIMES:
        value = document.get(name)
        if isinstance(value, str) and value:
            event["@timestamp"] = iso_time_us(value, name, ctx, JSON_NAME, event)
            break
    _keep_tags(document, event)
    return event


def _flat_data(key: str, value: Any, out: list[tuple[str, str]], depth: int) -> None:
    if isinstance(value, dict) and depth < MAX_DEPTH:
        for sub, item in value.items():
            _flat_data(f"{key}.{sub}", item, out, depth + 1)
    else:
        out.append((key, json_text(value)))


PARSERS: tuple[Parser, ...] = (WinXmlParser(), WinJsonParser())
FLAVOURS: tuple[JsonFlavour, ...] = (WindowsJsonFlavour(),)

__all__ = ["EVTX_MAGIC", "FLAVOURS", "JSON_NAME", "PARSERS", "XML_NAME", "WinJsonParser",
           "WinRecord", "WinXmlParser", "WindowsJsonFlavour", "event_data_key", "evtx_json_record",
           "flat_event", "json_event", "json_shape", "json_text", "read_evtx", "read_evtx_batches", "record_event",
           "user_data_fields", "winlogbeat_event"]
