"""Spool sets: how a worker hands a parsed batch to the core (Arrow IPC, not pickles).

A set is ``<name>.events.arrow``, ``<name>.dead.arrow``, ``<name>.detections.arrow`` (Sigma
matches, ``DETECTION_SCHEMA``) and ``<name>.json`` (the manifest, listing the WAL batches it
covers and the worker's per-rule counter deltas). Files are written under temporary names and renamed;
the manifest is renamed last, so a set with a manifest is complete and one without is
debris from a crash, removed at core start.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import orjson
import pyarrow as pa

from ..store.schema import DEAD_LETTER_SCHEMA, DETECTION_SCHEMA, EVENT_SCHEMA

_SUFFIXES = (".events.arrow", ".dead.arrow", ".detections.arrow", ".json")


def _write_table(path: Path, table: pa.Table) -> None:
    tmp = path.with_name(path.name + ".tmp")
    with pa.OSFile(str(tmp), "wb") as sink, pa.ipc.new_file(sink, table.schema) as w:
        w.write_table(table)
    os.replace(tmp, path)


def write_set(spool: Path, name: str, events: pa.Table, dead: pa.Table, batches: list[list[int]],
              detections: pa.Table | None = None, rule_stats: dict[str, list[float]] | None = None) -> None:
    spool.mkdir(parents=True, exist_ok=True)
    _write_table(spool / f"{name}.events.arrow", events)
    _write_table(spool / f"{name}.dead.arrow", dead)
    if detections is not None and detections.num_rows:
        _write_table(spool / f"{name}.detections.arrow", detections)
    manifest = spool / f"{name}.json"
    tmp = manifest.with_name(manifest.name + ".tmp")
    meta: dict[str, Any] = {"batches": batches, "events": events.num_rows, "dead": dead.num_rows,
                            "detections": detections.num_rows if detections is not None else 0}
    if rule_stats:
        meta["rule_stats"] = rule_stats
    tmp.write_bytes(orjson.dumps(meta))
    os.replace(tmp, manifest)


def read_manifest(spool: Path, name: str) -> dict[str, Any]:
    meta: dict[str, Any] = orjson.loads((spool / f"{name}.json").read_bytes())
    return meta


def read_detections(spool: Path, name: str) -> pa.Table:
    """A set's detections (an empty table when it has none: no file is written for none)."""
    path = spool / f"{name}.detections.arrow"
    if not path.exists():
        return DETECTION_SCHEMA.empty_table()
    with pa.memory_map(str(path)) as src:
        table = pa.ipc.open_file(src).read_all()
    return table if table.schema == DETECTION_SCHEMA else table.cast(DETECTION_SCHEMA)


def read_set(spool: Path, name: str) -> tuple[pa.Table, pa.Table, list[tuple[int, int]]]:
    meta: dict[str, Any] = orjson.loads((spool / f"{name}.json").read_bytes())
    with pa.memory_map(str(spool / f"{name}.events.arrow")) as src:
        events = pa.ipc.open_file(src).read_all()
    with pa.memory_map(str(spool / f"{name}.dead.arrow")) as src:
        dead = pa.ipc.open_file(src).read_all()
    if events.schema != EVENT_SCHEMA or dead.schema != DEAD_LETTER_SCHEMA:
        events, dead = events.cast(EVENT_SCHEMA), dead.cast(DEAD_LETTER_SCHEMA)
    return events, dead, [(int(s), int(e)) for s, e in meta["batches"]]


def set_size(spool: Path, name: str) -> tuple[int, int]:
    """Events plus dead letters in a set (from its manifest), and the bytes of its events."""
    meta: dict[str, Any] = orjson.loads((spool / f"{name}.json").read_bytes())
    return int(meta["events"]) + int(meta["dead"]), (spool / f"{name}.events.arrow").stat().st_size


def remove_set(spool: Path, name: str) -> None:
    for suffix in _SUFFIXES:
        try:
            (spool / f"{name}{suffix}").unlink()
        except FileNotFoundError:
            pass


def complete_sets(spool: Path) -> list[str]:
    """Names of complete sets in creation order; debris of incomplete ones is deleted."""
    if not spool.is_dir():
        return []
    for p in spool.glob("*.tmp"):
        p.unlink()
    names = sorted((p.stat().st_mtime_ns, p.name[:-5]) for p in spool.glob("*.json"))
    complete = {n for _, n in names}
    for p in spool.glob("*.arrow"):
        if p.name.split(".")[0] not in complete:
            p.unlink()
    return [n for _, n in names]
