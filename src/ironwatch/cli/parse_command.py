"""``ironwatch parse``: what the server would store for each record of a file, without storing it.

It runs exactly the server's code (``Normalizer.process_batch``: the columnar fast path and
the reference parsers) on records framed as ``ironwatch import`` frames them (EVTX records,
Zeek TSV lines under their header, grouped auditd events…) and given the same kind of
identity the WAL gives, so a
source that parses here parses live. Each input record prints as one normalized event, or
as ``{"dead_letter": REASON, "raw": TEXT}``; the exit code is 1 when anything would be
dead-lettered, so scripts can check a new source before pointing it at the server.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import shutil
import sys
import tempfile
import uuid
from pathlib import Path
from typing import Any, Iterator

import pyarrow as pa

from ..config import Settings
from ..event import Uuid7Generator
from ..intake.files import FileReader, Group
from ..intake.wal import RecordColumns, WalRecord
from ..pipeline.normalize import Normalizer
from ..query.simple import row_to_event
from ..store.schema import EVENT_COLUMNS
from ..timeutil import iso, now_us
from .output import emit

BATCH = 10_000
TABLE_COLUMNS = ("@timestamp", "host.name", "event.dataset", "ironwatch.parser", "message", "dead_letter")


def _events(table: pa.Table) -> list[dict[str, Any]]:
    """Arrow rows as the flat ECS events ``search`` prints (times and ids as text)."""
    for col in EVENT_COLUMNS:
        if col.sql == "TIMESTAMPTZ":
            table = table.set_column(table.schema.get_field_index(col.name), col.name, table[col.name].cast(pa.int64()))
        elif col.sql == "UUID":
            arr = table[col.name].combine_chunks()
            storage = arr.storage if isinstance(arr, pa.ExtensionArray) else arr
            ids = [str(uuid.UUID(bytes=b)) if b else None for b in storage.to_pylist()]
            table = table.set_column(table.schema.get_field_index(col.name), col.name, pa.array(ids, pa.string()))
    names = table.column_names
    out = []
    for row in table.to_pylist():
        ev = row_to_event(names, tuple(row[n] for n in names))
        original = row.get("original")
        if original is not None:
            ev["event.hash"] = hashlib.sha256(original).hexdigest()
        out.append(ev)
    return out


def parse_records(settings: Settings, groups: list[Group], source: str) -> list[tuple[int, dict[str, Any]]]:
    """(input position, event or dead-letter object) for a batch of records."""
    norm = Normalizer(settings)
    pinned = [(g.fmt, r) for g in groups for r in g.records]
    ids = Uuid7Generator().take(len(pinned))
    received = now_us()
    listener = f"import:{source}"
    recs = [WalRecord(i, ids[16 * i:16 * i + 16], received, hashlib.sha256(r).digest(), listener, fmt, "", r)
            for i, (fmt, r) in enumerate(pinned)]
    events, dead = norm.process_batch(RecordColumns.from_records(recs))
    out = [(int(ev["ironwatch.wal_offset"]), ev) for ev in _events(events)]
    for d in dead.to_pylist():
        raw: bytes = d["original"]
        out.append((int(d["wal_offset"]), {"dead_letter": d["reason"], "raw": raw.decode("utf-8", "replace"),
                                           "received": iso(received)}))
    return sorted(out, key=lambda x: x[0])


def run(args: argparse.Namespace, settings: Settings) -> int:
    from .commands import check_input_format

    check_input_format(args.input_format)
    dead = total = 0
    with _input_file(args.path) as path:
        reader = FileReader(path, args.input_format)
        source = "-" if args.path == "-" else str(path)
        batch: list[Group] = []
        for groups, _pos in reader:
            batch.extend(g for g in groups if g.records)
            if sum(len(g.records) for g in batch) >= BATCH:
                d, t = _flush(settings, batch, source, args.output)
                dead, total, batch = dead + d, total + t, []
        if batch:
            d, t = _flush(settings, batch, source, args.output)
            dead, total = dead + d, total + t
    print(f"ironwatch parse: {total} records, {total - dead} events, {dead} dead letters"
          + (f" ({reader.corrupt} corrupt EVTX records)" if reader.corrupt else ""), file=sys.stderr)
    return 1 if dead else 0


def _flush(settings: Settings, groups: list[Group], source: str, output: str) -> tuple[int, int]:
    rows = [obj for _, obj in parse_records(settings, groups, source)]
    emit(rows, output, None if output == "json" else TABLE_COLUMNS)
    return sum(1 for r in rows if "dead_letter" in r), len(rows)


@contextlib.contextmanager
def _input_file(arg: str) -> Iterator[Path]:
    """The file to read; standard input is spooled to a temporary file first, because
    some formats (EVTX, JSON arrays, XML exports) are read as whole files."""
    if arg != "-":
        yield Path(arg)
        return
    with tempfile.NamedTemporaryFile(prefix="ironwatch-parse-") as tmp:
        shutil.copyfileobj(sys.stdin.buffer, tmp, 1 << 20)
        tmp.flush()
        yield Path(tmp.name)
