"""Handing WAL batches to pipeline workers and taking their results back.

The core reads only batch headers (cheap: 76 bytes each) between the store's watermark and
the intake's durable offset, queues the batches not yet stored, and answers each worker's
``next`` with a run of them. A worker writes its result as Arrow IPC spool files plus a JSON
manifest (written last, so its presence means the set is complete) and reports ``done``.
If a worker dies, the batches it held go back to the front of the queue; results it had
finished are still committed, and the store's exactly-once check discards any repeat.

Protocol on ``run/worker.sock`` (JSON lines): ``{"op": "next"}`` → ``{"batches": [[s, e], …]}``;
``{"op": "done", "manifest": NAME}`` → ``{"ok": true}``.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from ..errors import WalError
from ..intake.wal import WalReader
from ..util.sockets import serve_requests, write_json

#: done sets a worker may have waiting for the core's commit before it gets more work; the
#: sets wait on disk, and enough of them make up a whole DuckDB row group (``server.COMMIT_ROWS``)
MAX_OUTSTANDING_SETS = 6


@dataclass
class QueuedBatch:
    start: int
    end: int
    count: int
    seen: float


@dataclass
class WorkerConn:
    ident: int
    held: dict[int, QueuedBatch] = field(default_factory=dict)
    uncommitted_sets: int = 0
    wake: asyncio.Event = field(default_factory=asyncio.Event)


class WorkDispatcher:
    def __init__(self, wal_dir: Path, is_stored: Callable[[int, int], bool], start_offset: int,
                 durable_offset: Callable[[], int], batch_max_events: int, batch_max_ms: float,
                 on_done: Callable[[WorkerConn, str], None]) -> None:
        self.reader = WalReader(wal_dir)
        self.is_stored = is_stored
        self.scan_offset = start_offset
        self.durable_offset = durable_offset
        self.batch_max_events = batch_max_events
        self.batch_max_s = batch_max_ms / 1000
        self.on_done = on_done
        self.queue: deque[QueuedBatch] = deque()
        self.queued_events = 0
        self.workers: dict[int, WorkerConn] = {}
        self._next_ident = 0
        self._work = asyncio.Event()
        self.scan_errors = 0

    def scan(self) -> None:
        """Queue new durable batches (headers only)."""
        limit = self.durable_offset()
        if limit <= self.scan_offset:
            return
        now = time.monotonic()
        try:
            for h in self.reader.iter_headers(self.scan_offset, limit):
                self.scan_offset = h.end
                if not self.is_stored(h.start, h.end):
                    self.queue.append(QueuedBatch(h.start, h.end, h.count, now))
                    self.queued_events += h.count
        except WalError:
            self.scan_errors += 1
            self.reader.refresh()
        if self.queue:
            self._work.set()

    def _ready(self) -> bool:
        if not self.queue:
            return False
        return self.queued_events >= self.batch_max_events or time.monotonic() - self.queue[0].seen >= self.batch_max_s

    def _take(self, worker: WorkerConn) -> list[QueuedBatch]:
        taken: list[QueuedBatch] = []
        n = 0
        while self.queue and (not taken or n + self.queue[0].count <= self.batch_max_events):
            b = self.queue.popleft()
            self.queued_events -= b.count
            if self.is_stored(b.start, b.end):
                continue
            taken.append(b)
            n += b.count
        for b in taken:
            worker.held[b.start] = b
        return taken

    async def scanner(self) -> None:
        while True:
            self.scan()
            if self._ready():
                for w in self.workers.values():
                    w.wake.set()
            await asyncio.sleep(0.02)

    def can_hand_in(self) -> bool:
        """Whether some worker may still hand in a set before the core commits."""
        return any(w.uncommitted_sets < MAX_OUTSTANDING_SETS for w in self.workers.values())

    def committed(self, worker_ident: int) -> None:
        w = self.workers.get(worker_ident)
        if w is not None:
            w.uncommitted_sets = max(0, w.uncommitted_sets - 1)
            w.wake.set()

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._next_ident += 1
        worker = WorkerConn(self._next_ident)
        self.workers[worker.ident] = worker
        try:
            await serve_requests(reader, writer, lambda req: self._serve(worker, req, reader, writer))
        except asyncio.CancelledError:
            # the core is stopping: asyncio's stream callback would print the cancellation
            # as an error; the worker's batches are handed out again at the next start
            writer.close()
        finally:
            self._release(worker)

    async def _serve(self, worker: WorkerConn, req: dict[str, Any], reader: asyncio.StreamReader,
                     writer: asyncio.StreamWriter) -> None:
        op = req.get("op")
        if op == "next":
            while True:
                if worker.uncommitted_sets < MAX_OUTSTANDING_SETS and self._ready():
                    taken = self._take(worker)
                    if taken:
                        await write_json(writer, {"batches": [[b.start, b.end] for b in taken]})
                        return
                if reader.at_eof():
                    # The worker died while waiting for work: return so that ``handle`` sees
                    # the EOF and releases it, rather than counting it alive until work comes.
                    return
                worker.wake.clear()
                try:
                    await asyncio.wait_for(worker.wake.wait(), 0.5)
                except asyncio.TimeoutError:
                    pass
        elif op == "done":
            name = str(req["manifest"])
            for s, _e in req.get("batches", []):
                worker.held.pop(int(s), None)
            worker.uncommitted_sets += 1
            self.on_done(worker, name)
            await write_json(writer, {"ok": True})
        else:
            await write_json(writer, {"error": f"unknown op {op!r}"})

    def _release(self, worker: WorkerConn) -> None:
        """A worker went away: its unfinished batches go back to the front of the queue."""
        self.workers.pop(worker.ident, None)
        held = sorted(worker.held.values(), key=lambda b: b.start, reverse=True)
        for b in held:
            b.seen = 0.0
            self.queue.appendleft(b)
            self.queued_events += b.count
        if held:
            for w in self.workers.values():
                w.wake.set()
