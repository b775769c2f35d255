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

import numpy as np
import orjson
import pyarrow as pa

from ..config import Settings
from ..errors import ParseError
from ..event import IDENTITY_FIELDS, Event
from ..intake.wal import RecordColumns, WalRecord
from ..parsers.base import ParseContext, Parser
from ..parsers.registry import direct as direct_parser
from ..parsers.registry import parse as parse_record
from ..parsers.registry import strip_lead
from ..store.schema import DEAD_LETTER_SCHEMA, EVENT_COLUMNS, EVENT_SCHEMA
from .columnar import ColumnarSyslog, identity_columns
from .listeners import listener_meta
from .zones import ZoneResolver

#: the format a listener's records are parsed as when the record pins none
LISTENER_FORMATS = {"syslog-udp": "auto", "syslog-tcp": "auto", "syslog-tls": "auto",
                    "http": "json", "self": "json", "import": "auto", "hec": "auto", "es-bulk": "json"}

#: ``event.dataset`` when the parsed event names none
DEFAULT_DATASET = {"rfc5424": "syslog", "rfc3164": "syslog", "json": "json"}


class Normalizer:
    def __init__(self, settings: Settings, originals: bool = True) -> None:
        """``originals=False``: the reference parsers' events leave ``event.original``
        empty (the offline import's helpers: the importing process fills it from its WAL)."""
        self.zones = ZoneResolver(settings.time)
        self.columnar = ColumnarSyslog(self.zones)
        self.originals = originals

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
        _finish(ev, used, meta)
        ev["event.id"] = rec.event_id
        ev["event.created"] = rec.received_us
        ev["event.original"] = rec.original
        ev["log.source.address"] = rec.address or None
        ev["ironwatch.listener"] = listener
        ev["ironwatch.wal_offset"] = rec.offset
        ev["ironwatch.parser"] = used
        return ev, ""

    def process_batch(self, records: RecordColumns,
                      inspect: Callable[[pa.Table | None, list[Event], Identity], None] | None = None) -> tuple[pa.Table, pa.Table]:
        """The worker's entry point: columnar fast path first, reference parsers for the rest.

        ``inspect`` (the worker's Sigma matching) sees the fast path's table and the
        reference parsers' event dicts before ``events_to_arrow`` takes the dicts apart.
        Those dicts hold what the parsers found; their identity (``event.id``,
        ``event.created``, ``event.original``, the WAL offset…) is added as whole columns
        from the batch, and ``inspect`` reads it from the ``Identity`` it is given."""
        fast, slow = self.columnar.parse(records, LISTENER_FORMATS)
        ref = self.reference(records, slow)
        if inspect is not None:
            inspect(fast, ref.events, ref.identity)
        table = ref.table()
        if fast is not None:
            table = pa.concat_tables([fast, table]) if table.num_rows else fast
        return table, dead_to_arrow(ref.dead)

    def reference(self, rc: RecordColumns, rows: Sequence[int]) -> ReferenceRows:
        """The records at ``rows`` through the reference parsers: what ``parse_one`` gives
        each, without building a ``WalRecord`` per record or storing the identity per event."""
        out = ReferenceRows(rc, self.originals)
        if not rows:
            return out
        kinds = [self._meta_kind(m) for m in rc.meta]
        data, offsets = rc.data, rc.offsets.tolist()
        received, meta_index = rc.received.tolist(), rc.meta_index.tolist()
        contexts: dict[tuple[int, int], ParseContext] = {}
        events, parsed, parsers = out.events, out.rows, out.parsers
        for i in rows:
            m = meta_index[i]
            fmt, meta, parser = kinds[m]
            if fmt.startswith("!"):
                out.dead.append(dead_letter(rc.record(i), fmt[1:]))
                continue
            ctx = contexts.get((received[i], m))
            if ctx is None:
                address = rc.meta[m][2]
                ctx = contexts[(received[i], m)] = ParseContext(received[i], self.zones.for_address(address), address)
            try:
                if parser is not None:
                    used, ev = fmt, parser.parse(strip_lead(data[offsets[i]:offsets[i + 1]]), ctx)
                else:
                    used, ev = parse_record(data[offsets[i]:offsets[i + 1]], ctx, fmt)
            except ParseError as exc:
                out.dead.append(dead_letter(rc.record(i), f"{exc.parser or fmt}: {exc.reason}"))
                continue
            _finish(ev, used, meta)
            events.append(ev)
            parsed.append(i)
            parsers.append(used)
        out.drop_identity_keys()
        return out

    @staticmethod
    def _meta_kind(meta: tuple[str, str, str]) -> tuple[str, tuple[tuple[str, str], ...], Parser | None]:
        """(format to parse with, fields the listener gives, the parser to call directly if
        ``parse_record`` would only dispatch to it) of a batch's listener/format pair."""
        listener, fields = listener_meta(meta[0])
        fmt = meta[1] or LISTENER_FORMATS.get(listener, "auto")
        return fmt, fields, direct_parser(fmt)

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


def _finish(ev: Event, used: str, meta: tuple[tuple[str, str], ...]) -> None:
    """What every parsed event gets besides its identity: its kind and dataset if the parser
    named none, and the fields its listener gives (``listener_meta``)."""
    ev.setdefault("event.kind", "event")
    ev.setdefault("event.dataset", DEFAULT_DATASET.get(used, used))
    for key, value in meta:
        if key != "host.name" or not ev.get(key):  # the event's own host wins
            ev[key] = value


#: the identity fields a WAL record decides (``event.hash`` is not stored: computed when read)
_IDENTITY = frozenset(IDENTITY_FIELDS) - {"event.hash"}


class Identity:
    """The identity of the events a batch's reference parsers gave, by event index."""

    def __init__(self, rc: RecordColumns, rows: list[int]) -> None:
        self.rc, self.rows = rc, rows

    def of(self, index: int) -> tuple[bytes, int, int]:
        """(``event.id`` bytes, ``event.created`` µs, WAL offset) of event ``index``."""
        i = self.rows[index]
        rc = self.rc
        return rc.ids[16 * i:16 * i + 16], int(rc.received[i]), int(rc.wal_offset[i])


class ReferenceRows:
    """What the reference parsers made of some records of a batch: the event dicts (without
    their identity), the rows they came from and the parser each used, and dead letters."""

    def __init__(self, rc: RecordColumns, originals: bool = True) -> None:
        self.rc, self.originals = rc, originals
        self.events: list[Event] = []
        self.present: set[str] = set()  # the keys of the events
        self.rows: list[int] = []
        self.parsers: list[str] = []
        self.dead: list[dict[str, Any]] = []
        self.identity = Identity(rc, self.rows)

    def drop_identity_keys(self) -> None:
        """A parser may name a field the WAL record decides (JSON with ``event.id``): the
        record's value wins, as in ``parse_one``, so the parser's is dropped."""
        self.present = set().union(*self.events)  # events_to_arrow's too: the Sigma stage only reads
        if not _IDENTITY.isdisjoint(self.present):
            for ev in self.events:
                for key in _IDENTITY.intersection(ev):
                    del ev[key]
            self.present -= _IDENTITY

    def table(self) -> pa.Table:
        rc = self.rc
        if not self.rows:
            return events_to_arrow([])
        given = identity_columns(rc, np.asarray(self.rows, dtype=np.int64), rc.originals() if self.originals else None)
        given["ironwatch.parser"] = pa.array(self.parsers, pa.string())
        return events_to_arrow(self.events, given, self.present)


def dead_letter(rec: WalRecord, reason: str) -> dict[str, Any]:
    return {"event_id": str(uuid.UUID(bytes=rec.event_id)), "received": rec.received_us,
            "listener": rec.listener, "source_address": rec.address, "format": rec.fmt,
            "reason": reason, "original": rec.original, "hash": rec.sha256.hex(), "wal_offset": rec.offset}


def _as_list(v: Any) -> Any:
    if v is None or isinstance(v, list):
        return v
    return [str(v)]


def _column(values: Sequence[Any], col_type: pa.DataType, field: str, events: Sequence[Event]) -> pa.Array:
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


def events_to_arrow(events: list[Event], given: dict[str, pa.Array] | None = None,
                    present: set[str] | None = None) -> pa.Table:
    """One Arrow table in ``EVENT_SCHEMA``; fields without a column go to ``fields`` as JSON.

    ``given`` holds whole columns made elsewhere (the identity from the WAL record); the
    events do not hold those fields. ``present``: the keys of all events, when known."""
    given = given or {}
    n = len(events)
    if present is None:  # the keys of all events: one C-level pass; absent columns cost nothing
        present = set().union(*events)
    taken = [c for c in EVENT_COLUMNS if c.field in present and c.field not in given]
    names = [c.field for c in taken]
    # one pass per event, the pops in C (``map``), then the rows turned into columns (``zip``)
    values = dict(zip(names, zip(*[list(map(ev.pop, names, [None] * len(names))) for ev in events]))) if names and n else {}
    arrays: list[pa.Array] = []
    for col in EVENT_COLUMNS:
        column = given.get(col.field)
        if column is not None:
            arrays.append(column if column.type == col.arrow else column.cast(col.arrow))
            continue
        vals: Sequence[Any] | None = values.get(col.field)
        if vals is None:
            arrays.append(pa.nulls(n, col.arrow))
            continue
        if col.field in ("event.category", "event.type"):
            vals = [v if v is None or type(v) is list else _as_list(v) for v in vals]
        arrays.append(_column(vals, col.arrow, col.field, events))
    dumps = orjson.dumps
    opts = orjson.OPT_NON_STR_KEYS
    arrays.append(pa.array([dumps(ev, default=_json_default, option=opts).decode() if ev else None
                            for ev in events], type=pa.string()))
    return pa.Table.from_arrays(arrays, schema=EVENT_SCHEMA)


def dead_to_arrow(dead: list[dict[str, Any]]) -> pa.Table:
    return pa.Table.from_pylist(dead, schema=DEAD_LETTER_SCHEMA)
