"""``ironwatch parse``: what the server would store for each line of a file, without storing it.

It runs exactly the server's code (``Normalizer.process_batch``: the columnar fast path and
the reference parsers) on records given the same kind of identity the WAL gives, so a
source that parses here parses live. Each input record prints as one normalized event, or
as ``{"dead_letter": REASON, "raw": TEXT}``; the exit code is 1 when anything would be
dead-lettered, so scripts can check a new source before pointing it at the server.
"""

from __future__ import annotations

import argparse
import hashlib
import sys
import uuid
from pathlib import Path
from typing import Any, BinaryIO, Iterator

import pyarrow as pa

from ..config import Settings
from ..event import Uuid7Generator
from ..intake.wal import RecordColumns, WalRecord
from ..pipeline.normalize import Normalizer
from ..query.simple import row_to_event
from ..store.schema import EVENT_COLUMNS
from ..timeutil import iso, now_us
from .importer import _open
from .output import emit

BATCH = 10_000
TABLE_COLUMNS = ("@timestamp", "host.name", "event.dataset", "ironwatch.parser", "message", "dead_letter")


def _lines(stream: BinaryIO) -> Iterator[bytes]:
    for line in stream:
        line = line.rstrip(b"\r\n")
        if line.strip():
            yield line


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


def parse_records(settings: Settings, lines: list[bytes], fmt: str, source: str) -> list[tuple[int, dict[str, Any]]]:
    """(input position, event or dead-letter object) for a batch of records."""
    norm = Normalizer(settings)
    ids = Uuid7Generator().take(len(lines))
    received = now_us()
    listener = f"import:{source}"
    recs = [WalRecord(i, ids[16 * i:16 * i + 16], received, hashlib.sha256(ln).digest(), listener,
                      "" if fmt == "auto" else fmt, "", ln) for i, ln in enumerate(lines)]
    events, dead = norm.process_batch(RecordColumns.from_records(recs))
    out = [(int(ev["ironwatch.wal_offset"]), ev) for ev in _events(events)]
    for d in dead.to_pylist():
        raw: bytes = d["original"]
        out.append((int(d["wal_offset"]), {"dead_letter": d["reason"], "raw": raw.decode("utf-8", "replace"),
                                           "received": iso(received)}))
    return sorted(out, key=lambda x: x[0])


def run(args: argparse.Namespace, settings: Settings) -> int:
    from ..parsers.registry import DETECTING, get_parser

    if args.input_format not in DETECTING:
        get_parser(args.input_format)
    path = args.path
    stream = sys.stdin.buffer if path == "-" else _open(Path(path))
    source = "-" if path == "-" else str(Path(path))
    fmt = "auto" if args.input_format in DETECTING else args.input_format
    dead = total = 0
    batch: list[bytes] = []

    def flush() -> None:
        nonlocal dead, total
        rows = [obj for _, obj in parse_records(settings, batch, fmt, source)]
        dead += sum(1 for r in rows if "dead_letter" in r)
        total += len(rows)
        emit(rows, args.output, None if args.output == "json" else TABLE_COLUMNS)
        batch.clear()

    try:
        for line in _lines(stream):
            batch.append(line)
            if len(batch) >= BATCH:
                flush()
        if batch:
            flush()
    finally:
        if stream is not sys.stdin.buffer:
            stream.close()
    print(f"ironwatch parse: {total} records, {total - dead} events, {dead} dead letters", file=sys.stderr)
    return 1 if dead else 0
