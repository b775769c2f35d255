"""The hot store: one DuckDB file owned by the core process, events in day segments.

Rows go into ``ev_YYYYMMDD`` tables by receipt day (UTC), listed in ``segments`` with their
``@timestamp`` range, so retention drops a whole table (no row deletes) and a time-bounded
search reads only the segments that can hold matches. ``commit`` inserts a worker's batch
(events, dead letters and Sigma detections) and marks its WAL ranges stored in one
transaction: a batch redone after a crash is recognised and skipped, so every event and
every detection is stored exactly once.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any, Sequence

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from ..config import StoreSettings
from ..errors import StoreError
from .health import SourceHealth
from .migrate import migrate
from ..timeutil import iso
from .schema import EVENT_COLUMNS, FIELDS_COLUMN, HASH_EXPR, segment_columns_sql

DB_FILE = "ironwatch.duckdb"
_SEGMENT = re.compile(r"^ev_\d{8}$")
_DAY_US = 86_400_000_000
#: the storage format of a store this release creates (zstd for the bulky columns needs
#: 1.2 or later); a store created earlier keeps its own format and opens as before
STORAGE_VERSION = "v1.5.0"


def connect(path: Path, settings: StoreSettings | None = None, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """A DuckDB connection that never reaches the network for extensions."""
    s = settings or StoreSettings()
    config: dict[str, str | bool | int | float | list[str]] = {"autoinstall_known_extensions": "false", "autoload_known_extensions": "false",
              "memory_limit": s.memory_limit, "threads": str(s.threads),
              "checkpoint_threshold": s.checkpoint_threshold, "storage_compatibility_version": STORAGE_VERSION}
    try:
        con = duckdb.connect(str(path), read_only=read_only, config=config)
    except duckdb.IOException as exc:
        raise StoreError(f"cannot open store {path}: {exc}") from exc
    con.execute("SET TimeZone = 'UTC'")
    return con


@dataclass
class CommitResult:
    events: int
    dead: int
    batches: int
    skipped_batches: int
    detections: int = 0


def segment_name(day: date) -> str:
    return f"ev_{day:%Y%m%d}"


class EventStore:
    def __init__(self, data_dir: Path, settings: StoreSettings | None = None, read_only: bool = False) -> None:
        self.path = data_dir / DB_FILE
        self.read_only = read_only
        self.con = connect(self.path, settings, read_only)
        if not read_only:
            self.applied_migrations = migrate(self.con, self.path)
        self.health = SourceHealth(self.con)
        self._local = threading.local()
        self._segments: dict[str, tuple[int | None, int | None]] = {}
        self._load_progress()

    # -- bookkeeping ---------------------------------------------------------------------
    def _load_progress(self) -> None:
        row = self.con.execute("SELECT watermark FROM wal_progress WHERE id = 1").fetchall()
        self.watermark = int(row[0][0]) if row else 0
        self.done: dict[int, int] = dict(self.con.execute("SELECT start_offset, end_offset FROM wal_done").fetchall())

    def cursor(self) -> duckdb.DuckDBPyConnection:
        """A connection for the calling thread (DuckDB connections are not shared across threads)."""
        cur = getattr(self._local, "cur", None)
        if cur is None:
            cur = self.con.cursor()
            cur.execute("SET TimeZone = 'UTC'")
            self._local.cur = cur
        return cur

    def is_stored(self, start: int, end: int) -> bool:
        return end <= self.watermark or start in self.done

    def segments(self, from_us: int | None = None, to_us: int | None = None) -> list[str]:
        sql = "SELECT name FROM segments WHERE true"
        params: list[Any] = []
        if from_us is not None:
            sql += " AND (max_ts IS NULL OR epoch_us(max_ts) >= ?)"
            params.append(from_us)
        if to_us is not None:
            sql += " AND (min_ts IS NULL OR epoch_us(min_ts) <= ?)"
            params.append(to_us)
        names = [r[0] for r in self.cursor().execute(sql + " ORDER BY day DESC", params).fetchall()]
        return [n for n in names if _SEGMENT.match(n)]

    # -- writing -------------------------------------------------------------------------
    def commit(self, events: pa.Table, dead: pa.Table, batches: Sequence[tuple[int, int]],
               detections: pa.Table | None = None) -> CommitResult:
        """Store one worker batch (and its detections) and mark its WAL ranges stored, atomically."""
        new = [(s, e) for s, e in batches if not self.is_stored(s, e)]
        if not new:
            return CommitResult(0, 0, 0, len(batches))
        if len(new) < len(batches):
            events, dead = _only_ranges(events, new), _only_ranges(dead, new)
            if detections is not None:
                detections = _only_ranges(detections, new)
        con = self.con
        con.execute("BEGIN")
        try:
            if events.num_rows:
                self._insert_events(events)
            if dead.num_rows:
                con.register("_dead", dead)
                con.execute("INSERT INTO dead_letters BY NAME SELECT * FROM _dead ON CONFLICT DO NOTHING")
                con.unregister("_dead")
            if detections is not None and detections.num_rows:
                con.register("_det", detections)
                con.execute("INSERT INTO detections BY NAME SELECT * FROM _det ON CONFLICT DO NOTHING")
                con.unregister("_det")
            self.health.record(events, dead)
            watermark, done = self._advance(new)
            con.execute("UPDATE wal_progress SET watermark = ? WHERE id = 1", [watermark])
            pending = [[s, e] for s, e in new if s in done]
            if pending:
                con.executemany("INSERT INTO wal_done VALUES (?, ?)", pending)
            if watermark != self.watermark:
                con.execute("DELETE FROM wal_done WHERE end_offset <= ?", [watermark])
            con.execute("COMMIT")
        except duckdb.Error as exc:
            con.execute("ROLLBACK")
            raise StoreError(f"commit failed: {exc}") from exc
        self.watermark, self.done = watermark, done
        return CommitResult(events.num_rows, dead.num_rows, len(new), len(batches) - len(new),
                            detections.num_rows if detections is not None else 0)

    def _advance(self, new: Sequence[tuple[int, int]]) -> tuple[int, dict[int, int]]:
        done = dict(self.done)
        done.update(new)
        watermark = self.watermark
        while watermark in done:
            watermark = done.pop(watermark)
        return watermark, done

    def _insert_events(self, events: pa.Table) -> None:
        created = events.column("created").cast(pa.int64())
        lo, hi = (v.as_py() for v in pc.min_max(created).values())
        con = self.con
        for day_us in range(lo - lo % _DAY_US, hi + 1, _DAY_US):
            day = date(1970, 1, 1) + timedelta(microseconds=day_us)
            table = self._ensure_segment(day)
            part = events
            if not (lo >= day_us and hi < day_us + _DAY_US):
                part = events.filter(pc.and_(pc.greater_equal(created, day_us), pc.less(created, day_us + _DAY_US)))
            if not part.num_rows:
                continue
            ts_lo, ts_hi = (v.as_py() for v in pc.min_max(part.column("ts").cast(pa.int64())).values())
            con.register("_batch", part)
            try:
                con.execute(f"INSERT INTO {table} BY NAME SELECT * FROM _batch")
            finally:
                con.unregister("_batch")
            con.execute(
                "UPDATE segments SET rows = rows + ?, min_ts = least(coalesce(min_ts, make_timestamptz(?)), make_timestamptz(?)), "
                "max_ts = greatest(coalesce(max_ts, make_timestamptz(?)), make_timestamptz(?)) WHERE name = ?",
                [part.num_rows, ts_lo, ts_lo, ts_hi, ts_hi, table])

    def _ensure_segment(self, day: date) -> str:
        name = segment_name(day)
        if name not in self._segments:
            self.con.execute(f"CREATE TABLE IF NOT EXISTS {name} (\n    {segment_columns_sql()}\n)")
            self.con.execute("INSERT INTO segments (name, day) VALUES (?, ?) ON CONFLICT DO NOTHING", [name, day])
            self._segments[name] = (None, None)
        return name

    def drop_segments_before(self, day: date) -> list[str]:
        """Retention: drop whole day segments older than ``day``."""
        old = [r[0] for r in self.con.execute("SELECT name FROM segments WHERE day < ?", [day]).fetchall()]
        for name in old:
            if _SEGMENT.match(name):
                self.con.execute("BEGIN")
                self.con.execute(f"DROP TABLE IF EXISTS {name}")
                self.con.execute("DELETE FROM segments WHERE name = ?", [name])
                self.con.execute("COMMIT")
                self._segments.pop(name, None)
        return old

    # -- reading -------------------------------------------------------------------------
    def totals(self) -> dict[str, int]:
        cur = self.cursor()
        # fetchall, never fetchone: a result left open keeps its transaction open, and an open
        # transaction stops DuckDB from checkpointing (its log then grows without bound)
        [events] = cur.execute("SELECT coalesce(sum(rows), 0), count(*) FROM segments").fetchall()
        [dead] = cur.execute("SELECT count(*), count(replayed_at) FROM dead_letters").fetchall()
        [det] = cur.execute("SELECT count(*) FROM detections").fetchall()
        return {"events": int(events[0]), "segments": int(events[1]), "dead_letters": int(dead[0]),
                "detections": int(det[0]),
                "dead_letters_replayed": int(dead[1]), "watermark": self.watermark,
                "size_bytes": _size(self.path) + _size(self.path.with_name(self.path.name + ".wal"))}

    def segment_rows(self, at_us: int) -> int:
        """Events in the day segment that events received at ``at_us`` go to."""
        day = date(1970, 1, 1) + timedelta(microseconds=at_us - at_us % _DAY_US)
        rows = self.con.execute("SELECT rows FROM segments WHERE name = ?", [segment_name(day)]).fetchall()
        return int(rows[0][0] or 0) if rows else 0

    def bulk_load(self) -> None:
        """For a bulk load (an offline import, groups of whole row groups), for this
        connection's process only (the server keeps DuckDB's defaults, cheaper for its many
        small commits):

        - a commit that would go through DuckDB's own log (a last, smaller group) is
          written straight into the database file instead, as whole row groups are; the log
          would be written, then read back and written again by a checkpoint at close;
        - DuckDB keeps the memory of its blocks for the next group instead of handing it
          back to the system after every commit (and faulting in fresh, zeroed pages for
          the next): up to ``memory_limit``, which bounds it anyway.
        """
        self.con.execute("SET checkpoint_threshold = '1MB'")
        [(limit,)] = self.con.execute("SELECT current_setting('memory_limit')").fetchall()
        self.con.execute("SET block_allocator_memory = ?", [limit])
        self.con.execute("SET allocator_flush_threshold = ?", [limit])

    def close(self) -> None:
        self.con.close()


def _size(p: Path) -> int:
    try:
        return p.stat().st_size
    except FileNotFoundError:
        return 0


def _only_ranges(table: pa.Table, ranges: Sequence[tuple[int, int]]) -> pa.Table:
    if not table.num_rows:
        return table
    off = table.column("wal_offset")
    mask = None
    for s, e in ranges:
        m = pc.and_(pc.greater_equal(off, s), pc.less(off, e))
        mask = m if mask is None else pc.or_(mask, m)
    return table.filter(mask)


# -- search and dead letters live beside the store so that SQL stays in one package ----------
# Times leave DuckDB as epoch microseconds: no per-row datetime objects, no pytz.
_PROJECTION = ", ".join(f'epoch_us("{c.name}") AS "{c.name}"' if c.sql == "TIMESTAMPTZ" else f'"{c.name}"'
                        for c in (*EVENT_COLUMNS, FIELDS_COLUMN)) + f", {HASH_EXPR} AS hash"

def search_events(store: EventStore, query: str, from_us: int | None, to_us: int | None,
                  limit: int) -> list[dict[str, Any]]:
    """Newest-first events matching ``query`` within [from, to] (@timestamp)."""
    from ..query.simple import build_where, parse_query, row_to_event

    where, params = build_where(parse_query(query), from_us, to_us)
    segments = store.segments(from_us, to_us)
    if not segments:
        return []
    union = " UNION ALL BY NAME ".join(f"SELECT * FROM {s}" for s in segments)
    sql = f"SELECT {_PROJECTION} FROM ({union}) WHERE {where} ORDER BY ts DESC, event_id DESC LIMIT ?"
    cur = store.cursor()
    try:
        cur.execute(sql, [*params, limit])
        names = [d[0] for d in cur.description]
        rows = cur.fetchall()
    except duckdb.Error as exc:
        raise StoreError(f"search failed: {exc}") from exc
    return [row_to_event(names, r) for r in rows]


def list_dead_letters(store: EventStore, limit: int = 100, include_replayed: bool = False) -> list[dict[str, Any]]:
    sql = ("SELECT event_id, epoch_us(received), listener, source_address, format, reason, original, wal_offset, "
           "epoch_us(replayed_at), replay_attempts FROM dead_letters")
    if not include_replayed:
        sql += " WHERE replayed_at IS NULL"
    rows = store.cursor().execute(sql + " ORDER BY received DESC LIMIT ?", [limit]).fetchall()
    out = []
    for r in rows:
        raw = bytes(r[6])
        out.append({"event.id": str(r[0]), "received": iso(r[1]), "listener": r[2],
                    "source_address": r[3], "format": r[4], "reason": r[5],
                    "original": raw.decode("utf-8", "replace"), "original_bytes": len(raw),
                    "wal_offset": r[7], "replayed_at": iso(r[8]) if r[8] is not None else None,
                    "replay_attempts": r[9]})
    return out
