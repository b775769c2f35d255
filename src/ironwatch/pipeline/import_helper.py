"""The offline import's normalizing helpers: processes that ``ironwatch import`` starts when
no server runs (see ``cli/importer.py``).

A helper reads a WAL batch its import appended, normalizes it and matches the Sigma rules
(``BatchWork``, exactly what a pipeline worker runs) and hands the result over as a spool
set. This module imports only what that needs: a helper starts in half a second instead of
the importing command's three quarters (no DuckDB, no progress display), which is time the
import's first batches wait for.
"""

from __future__ import annotations

import signal
from pathlib import Path
from typing import Any

import pyarrow as pa

from ..config import Settings
from ..proc import tune_gc
from ..store.schema import EVENT_SCHEMA
from .detect_stage import detections_to_arrow
from .spool import write_set
from .worker import BatchWork

_HELPER: dict[str, Any] = {}

#: the events' column of original bytes, which helpers leave empty
ORIGINAL = EVENT_SCHEMA.get_field_index("original")


def init(settings: Settings, spool: Path) -> None:
    """A helper process's start (the pool's initializer)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the importing process's to answer
    # the batches were appended by this import a moment before: not read back to verify
    # (``ironwatch wal verify`` checks the whole chain at any time)
    _HELPER.update(work=BatchWork(settings, verify=False, originals=False), spool=spool)
    tune_gc()


def normalize(work: BatchWork, start: int) -> tuple[pa.Table, pa.Table, pa.Table]:
    """(events, dead letters, detections) of the WAL batch at ``start``."""
    events, dead, found = work.run([start])
    return events, dead, detections_to_arrow(found)


def normalize_to_spool(start: int) -> str:
    """Normalizes the WAL batch at ``start`` into a spool set; returns the set's name.

    The events leave without their ``original`` bytes: the importing process has them in
    the WAL it just wrote (``importer.with_originals``), and they are half of what a
    Windows event weighs (a third less to write into the spool and map back)."""
    events, dead, detections = normalize(_HELPER["work"], start)
    name = f"{start:020d}"
    events = events.set_column(ORIGINAL, "original", pa.nulls(events.num_rows, pa.binary()))  # fast-path rows too
    write_set(_HELPER["spool"], name, events, dead, [], detections)
    return name
