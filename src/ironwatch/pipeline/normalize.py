"""WAL records → parsed events with identity → Arrow batches for the core.

This is the worker's hot loop, and ``ironwatch parse`` and offline import run exactly this
code too, so a decoder that passes the test tool also works live. Per record it picks the
parser (the record's pinned format, else the listener's default), parses, and adds the
identity fields given at WAL append. A parse failure becomes a dead letter with its reason;
nothing is dropped. Column building is per batch (one Arrow array per column).
"""

from __future__ import annotations

import uuid
from typing import Any, Callable, Iterable, Sequence

import orjson
import pyarrow as pa

from ..config import Settings
from ..errors import ParseError
from ..event import Event
from ..intake.wal import RecordColumns, WalRecord
from ..parsers.base import ParseContext
from ..parsers.registry import parse as parse_record
from ..store.schema import DEAD_LETTER_SCHEMA, EVENT_COLUMNS, EVENT_SCHEMA
from .columnar import ColumnarSyslog
from .listeners import listener_meta
from .zones import ZoneResolver

#: the format a listener's records are parsed as when the record pins none
LISTENER_FORMATS = {"syslog-udp": "auto", "syslog-tcp": "auto", "syslog-tls": "auto",
                    "http": "json", "self": "json", "import": "auto", "hec": "auto", "es-bulk": "json"}

#: ``event.dataset`` when the parsed event names none
DEFAULT_DATASET = {"rfc5424": "syslog", "rfc3164": "syslog", "json": "json"}


class Normalizer:
    def __init__(self, settings: Settings) -> None:
        self.zones = ZoneResolver(settings.time)
        self.columnar = ColumnarSyslog(self.zones)

    def parse_one(self, rec: WalRecord) -> tuple[Event | None, str]:
        """(event, "") or (None, dead-letter reason) for one record."""
        listener, meta = listener_meta(rec.listener)
        fmt = rec.fmt or LISTENER_FORMATS.get(listener, "auto")
        if fmt.startswith("!"):
            return None, fmt[1:]
        ctx = ParseContext(rec.received_us, self.zones.for_address(rec.address), rec.address)
        try:
            used, ev = parse_record(rec.original, ctx, fmt)
        except ParseError as exc:
            return None, f"{exc.parser or fmt}: {exc.reason}"
        ev.setdefault("event.kind", "event")
        ev.setdefault("event.dataset", DEFAULT_DATASET.get(used, used))
        ev["event.id"] = rec.event_id
        ev["event.created"] = rec.received_us
        ev["event.original"] = rec.original
        ev["log.source.address"] = rec.address or None
        ev["ironwatch.listener"] = listener
        for key, value in meta:
            if key != "host.name" or not ev.get(key):  # the event's own host wins
                ev[key] = value
        ev["ironwatch.wal_offset"] = rec.offset
        ev["ironwatch.parser"] = used
        return ev, ""

    def process_batch(self, records: RecordColumns,
                      inspect: Callable[[pa.Table | None, list[Event]], None] | None = None) -> tuple[pa.Table, pa.Table]:
        """The worker's entry point: columnar fast path first, reference parsers for the rest.

        ``inspect`` (the worker's Sigma matching) sees the fast path's table and the
        reference parsers' event dicts before ``events_to_arrow`` takes the dicts apart."""
        fast, slow = self.columnar.parse(records, LISTENER_FORMATS)
        events, dead = self.process(records.records(slow))
        if inspect is not None:
            inspect(fast, events)
        table = events_to_arrow(events)
        if fast is not None:
            table = pa.concat_tables([fast, table]) if table.num_rows else fast
        return table, dead_to_arrow(dead)

    def process(self, records: Iterable[WalRecord]) -> tuple[list[Event], list[dict[str, Any]]]:
        events: list[Event] = []
        dead: list[dict[str, Any]] = []
        for rec in records:
            ev, reason = self.parse_one(rec)
            if ev is not None:
                events.append(ev)
            else:
                dead.append(dead_letter(rec, reason))
        return events, dead


def dead_letter(rec: WalRecord, reason: str) -> dict[str, Any]:
    return {"event_id": str(uuid.UUID(bytes=rec.event_id)), "received": rec.received_us,
            "listener": rec.listener, "source_address": rec.address, "format": rec.fmt,
            "reason": reason, "original": rec.original, "hash": rec.sha256.hex(), "wal_offset": rec.offset}


def _as_list(v: Any) -> Any:
    if v is None or isinstance(v, list):
        return v
    return [str(v)]


def _column(values: list[Any], col_type: pa.DataType, field: str, events: Sequence[Event]) -> pa.Array:
    if isinstance(col_type, pa.UuidType):
        storage = pa.array(values, pa.binary(16))
        return pa.ExtensionArray.from_storage(col_type, storage)
    try:
        return pa.array(values, type=col_type)
    except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError, ValueError, OverflowError):
        # A value of the wrong type for its typed column: keep it, under its name, in the
        # JSON column, and leave the typed cell empty.
        fixed: list[Any] = []
        for v, ev in zip(values, events):
            try:
                pa.array([v], type=col_type)
                fixed.append(v)
            except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError, ValueError, OverflowError):
                ev[field] = v if isinstance(v, (str, int, float, bool)) else str(v)
                fixed.append(None)
        return pa.array(fixed, type=col_type)


def _json_default(v: Any) -> Any:
    if isinstance(v, (bytes, bytearray)):
        return v.decode("utf-8", "replace")
    return str(v)


def events_to_arrow(events: list[Event]) -> pa.Table:
    """One Arrow table in ``EVENT_SCHEMA``; fields without a column go to ``fields`` as JSON."""
    arrays: list[pa.Array] = []
    present = set().union(*events)  # one C-level pass; absent columns cost nothing per event
    n = len(events)
    for col in EVENT_COLUMNS:
        if col.field not in present:
            arrays.append(pa.nulls(n, col.arrow))
            continue
        values = [ev.pop(col.field, None) for ev in events]
        if col.field in ("event.category", "event.type"):
            values = [_as_list(v) for v in values]
        arrays.append(_column(values, col.arrow, col.field, events))
    dumps = orjson.dumps
    opts = orjson.OPT_NON_STR_KEYS
    arrays.append(pa.array([dumps(ev, default=_json_default, option=opts).decode() if ev else None
                            for ev in events], type=pa.string()))
    return pa.Table.from_arrays(arrays, schema=EVENT_SCHEMA)


def dead_to_arrow(dead: list[dict[str, Any]]) -> pa.Table:
    return pa.Table.from_pylist(dead, schema=DEAD_LETTER_SCHEMA)
