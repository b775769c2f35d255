"""A pipeline worker process: asks the core for WAL batches, parses them, spools the result.

Workers hold no durable state: a crashed worker is restarted by ``ironwatch serve`` and the
core hands its unfinished batches to whoever asks next. Sigma matching (``detect_stage``)
runs on each batch before its events become Arrow; the detections go into the same spool
set as their events, so the core stores both in one transaction. Later issues add
enrichment here.
"""

from __future__ import annotations

import os
import signal
import socket
import time
from itertools import count
from typing import Any, Sequence

import orjson
import pyarrow as pa

from ..config import Settings
from ..event import Event
from ..proc import gc_paused
from ..intake.wal import RecordColumns, WalReader
from .detect_stage import StreamDetector, detections_to_arrow
from .normalize import Identity, Normalizer
from .spool import write_set


class BatchWork:
    """A worker's work on WAL batches: read them back, normalize, match the Sigma rules.
    The pipeline workers and the offline import's helpers both run it."""

    def __init__(self, settings: Settings, verify: bool = True, originals: bool = True) -> None:
        """``verify``: check each batch's checksum as it is read back. The pipeline workers
        do; the offline import's helpers read batches that their import appended a moment
        before (``ironwatch wal verify`` checks the whole chain at any time).
        ``originals=False``: events may leave without ``event.original`` (see ``Normalizer``)."""
        self.verify = verify
        self.reader = WalReader(settings.data_path / "wal")
        self.normalizer = Normalizer(settings, originals)
        self.detector = StreamDetector(settings)

    def run(self, starts: Sequence[int]) -> tuple[pa.Table, pa.Table, list[dict[str, Any]]]:
        """(events, dead letters, Sigma detection rows) of the batches at ``starts``."""
        parts = [self.reader.read_batch(start, self.verify)[1] for start in starts]
        self.detector.maybe_reload()
        found: list[dict[str, Any]] = []

        def detect(fast: pa.Table | None, dicts: list[Event], identity: Identity) -> None:
            found.extend(self.detector.match(fast, dicts, identity))

        with gc_paused():
            events, dead = self.normalizer.process_batch(RecordColumns.concat(parts), detect)
        return events, dead, found


class PipelineWorker:
    def __init__(self, settings: Settings, slot: int) -> None:
        self.settings = settings
        self.slot = slot
        self.data_dir = settings.data_path
        self.work = BatchWork(settings)
        self.spool = self.data_dir / "spool"
        self._seq = count()
        self._stop = False

    def process(self, batches: list[list[int]]) -> str:
        events, dead, found = self.work.run([start for start, _end in batches])
        name = f"w{self.slot}-{os.getpid()}-{time.time_ns()}-{next(self._seq)}"
        write_set(self.spool, name, events, dead, batches, detections_to_arrow(found) if found else None,
                  self.work.detector.stats_delta())
        return name

    def run(self) -> None:
        signal.signal(signal.SIGTERM, self._on_term)
        path = str(self.data_dir / "run" / "worker.sock")
        sock = self._connect(path)
        f = sock.makefile("rwb")
        while not self._stop:
            f.write(b'{"op":"next"}\n')
            f.flush()
            line = f.readline()
            if not line:
                return
            batches = orjson.loads(line).get("batches") or []
            if not batches:
                continue
            name = self.process(batches)
            f.write(orjson.dumps({"op": "done", "manifest": name, "batches": batches}) + b"\n")
            f.flush()
            if not f.readline():
                return

    def _connect(self, path: str) -> socket.socket:
        deadline = time.monotonic() + 60
        while True:
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            try:
                s.connect(path)
                return s
            except OSError:
                s.close()
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)

    def _on_term(self, *_: object) -> None:
        # Finish the batch in hand, then leave; an interrupted batch would simply be redone.
        self._stop = True
        raise SystemExit(0)


def run(settings: Settings, slot: int) -> None:
    PipelineWorker(settings, slot).run()


