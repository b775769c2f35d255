"""``ironwatch import``: files into the WAL, through the running server or in-process.

Files are read as records framed by their detected (or pinned) format (``intake.files``:
lines, EVTX records, Zeek TSV under its header, grouped auditd events, JSON arrays, XML
exports; gzip is read transparently) and appended with listener ``import:<path>``; each
batch is acknowledged only once durable. Without a running
server the same WAL, parsers and store commit run in this process, so an import is
identical either way.
"""

from __future__ import annotations

import multiprocessing
import os
import shutil
import time
from collections import deque
from concurrent.futures import Future, ProcessPoolExecutor, ThreadPoolExecutor

import pyarrow as pa
import pyarrow.compute as pc

from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn, TransferSpeedColumn

from ..config import Settings
from ..errors import IronwatchError, ServerNotRunning
from ..intake.files import FileReader, Group, iter_files
from ..intake.wal import PendingChunk, WalWriter
from ..pipeline import import_helper
from ..pipeline.import_helper import ORIGINAL, normalize
from ..pipeline.spool import read_detections, read_set, remove_set
from ..pipeline.worker import BatchWork
from ..store.hot import CommitResult, EventStore
from ..timeutil import now_us
from ..util.sockets import encode_records
from .client import IntakeConnection

def run_import(settings: Settings, paths: list[str], fmt: str, show_progress: bool = True) -> dict[str, float]:
    files = list(iter_files(paths))
    sizes = [f.stat().st_size for f in files]
    total = sum(sizes)
    try:
        sink: _Sink = _ServerSink(settings)
    except ServerNotRunning:
        sink = _OfflineSink(settings, helpers_from_start=total > _OfflineSink.IN_PROCESS_BYTES)
    records = corrupt = 0
    t0 = time.monotonic()
    columns = (TextColumn("{task.description}"), BarColumn(), DownloadColumn(), TransferSpeedColumn(), TimeRemainingColumn())
    with Progress(*columns, disable=not show_progress, transient=False) as progress:
        task = progress.add_task("import", total=total)
        done_bytes = 0
        for path, size in zip(files, sizes):
            reader = FileReader(path, fmt, size)
            progress.update(task, description=f"{path.name[:36]} ({reader.kind})")
            base = done_bytes
            for groups, pos in reader:
                for group in groups:
                    if group.records:
                        sink.write(group, f"import:{path}")
                        records += len(group.records)
                if pos is not None:
                    progress.update(task, completed=base + pos)
            corrupt += reader.corrupt
            done_bytes = base + size
            progress.update(task, completed=done_bytes)
    result = sink.finish()
    result.update({"files": len(files), "records": records, "seconds": round(time.monotonic() - t0, 2)})
    if corrupt:
        result["corrupt_records"] = corrupt
    return result


class _Sink:
    """Buffers groups and writes them together: many small files (EVTX samples, rotated
    logs) would otherwise cost one durable write and one store commit each.

    With ``ALIGN`` set, batches also end at every multiple of ``ALIGN`` records (a group is
    split there), so that the store can commit whole DuckDB row groups (see ``_OfflineSink``).
    """

    FLUSH_RECORDS = 20_000
    FLUSH_BYTES = 8 << 20
    ALIGN = 0

    def __init__(self) -> None:
        self.pending: list[tuple[str, Group]] = []
        self.pending_records = self.pending_bytes = 0
        self.written = 0  # records in the batches written so far

    def write(self, group: Group, listener: str) -> None:
        records = group.records
        while records:
            room = len(records)
            if self.ALIGN:
                room = min(room, self.ALIGN - (self.written + self.pending_records) % self.ALIGN)
            part = group if room == len(records) == len(group.records) else Group(group.fmt, records[:room])
            records = records[room:]
            self.pending.append((listener, part))
            self.pending_records += len(part.records)
            self.pending_bytes += sum(map(len, part.records))
            boundary = bool(self.ALIGN) and (self.written + self.pending_records) % self.ALIGN == 0
            if boundary or self.pending_records >= self.FLUSH_RECORDS or self.pending_bytes >= self.FLUSH_BYTES:
                self.flush()

    def flush(self) -> None:
        if self.pending:
            self.written += self.pending_records
            self._write(self.pending, bool(self.ALIGN) and self.written % self.ALIGN == 0)
        self.pending, self.pending_records, self.pending_bytes = [], 0, 0

    def _write(self, groups: list[tuple[str, Group]], boundary: bool) -> None:
        """Writes one batch; ``boundary``: it ends at a multiple of ``ALIGN`` records."""
        raise NotImplementedError

    def finish(self) -> dict[str, float]:
        raise NotImplementedError


class _ServerSink(_Sink):
    def __init__(self, settings: Settings) -> None:
        super().__init__()
        self.conn = IntakeConnection(settings.data_path)

    def _write(self, groups: list[tuple[str, Group]], boundary: bool) -> None:
        body = encode_records([r for _, g in groups for r in g.records])
        chunks = [{"listener": listener, "format": g.fmt, "count": len(g.records)} for listener, g in groups]
        while True:
            reply = self.conn.ingest(body, groups[0][0], groups[0][1].fmt, "records", chunks)
            if reply.get("ok"):
                return
            if reply.get("error") == "backpressure":
                time.sleep(float(reply.get("retry_after", 1)))
                continue
            raise IronwatchError(f"intake refused the import: {reply.get('error')}")

    def finish(self) -> dict[str, float]:
        self.flush()
        self.conn.close()
        return {"mode_server": 1}


class _OfflineSink(_Sink):

    """No server: append to the WAL and commit to the store in this process.

    Normalizing (parsing, Sigma matching, Arrow columns) is the costly step. It runs in
    helper processes (``pipeline.import_helper``; one per core, or ``pipeline.workers``)
    that read each batch back from the WAL and hand the result over as a spool set (Arrow
    IPC files, as the server's workers do: this process maps them instead of copying them
    through a pipe), without the original bytes, which this process still holds from the
    append. Meanwhile this process reads files and appends, and a thread of it commits;
    batches are committed in the order they were appended. An import of at most
    ``IN_PROCESS_BYTES`` is normalized here instead. Spool sets are in
    ``DATA/spool/import`` only until committed; an interrupted import leaves its batches
    in the WAL, where ``serve`` finds them.

    Batches are committed in groups of exactly one DuckDB row group of records (122,880;
    ``ALIGN``: the batches end there), which DuckDB writes straight to the database file
    instead of its log first. A group that ended off a row-group boundary would leave a
    partly filled row group that the next commit rewrites: a third more time per event
    for every later group, and several times more for the last one.
    """

    #: an import of at most this many bytes is normalized in this process (helpers take
    #: longer to start than it takes); a larger one uses the helpers from its first batch
    IN_PROCESS_BYTES = 16 << 20
    ALIGN = 122_880  # DuckDB's row group
    COMMIT_BYTES = 768 << 20  # a row group of Windows events is ~450 MB in Arrow

    def __init__(self, settings: Settings, helpers_from_start: bool = False) -> None:
        super().__init__()
        self.settings = settings
        self.helpers_from_start = helpers_from_start
        data = settings.data_path
        data.mkdir(parents=True, exist_ok=True)
        self.store = EventStore(data, settings.store)
        self.store.bulk_load()
        # the first group tops up the row group today's segment has begun, if any
        self.written = self.store.segment_rows(now_us()) % self.ALIGN
        self.wal = WalWriter(data / "wal", settings.wal.segment_bytes, self.store.watermark)
        from ..core.rules import publish_state  # here: the helpers, which import this module, need none of it

        publish_state(self.store)  # the rule state the Sigma stage runs with, as the core publishes it
        self.pool: ProcessPoolExecutor | None = None
        self.spool = data / "spool" / "import"
        shutil.rmtree(self.spool, ignore_errors=True)  # debris of an interrupted import
        self.inflight: deque[tuple[Future[str], int, int, bool, pa.Array]] = deque()
        self.batches = 0
        # one helper per core: this process's reading, appending and committing take about a
        # third of the CPU an event costs (the server runs cores - 1 workers beside its core
        # and intake)
        self.helpers = settings.pipeline.workers or max(1, os.cpu_count() or 1)
        self.events = self.dead = self.detections = 0
        self.ready: list[tuple[tuple[pa.Table, pa.Table, pa.Table], tuple[int, int]]] = []
        self.ready_sets: list[str] = []
        self.ready_bytes = 0
        # the store is written by this one thread only, a group at a time
        self.committer = ThreadPoolExecutor(1, thread_name_prefix="import-commit")
        self.committing: Future[CommitResult] | None = None
        if helpers_from_start:
            self._start_helpers()

    def _start_helpers(self) -> ProcessPoolExecutor:
        """The helper pool, all helpers started at once: a helper takes most of a second to
        start (imports), which they then spend side by side while this process reads."""
        if self.pool is None:
            self.pool = ProcessPoolExecutor(self.helpers, mp_context=multiprocessing.get_context("spawn"),
                                            initializer=import_helper.init, initargs=(self.settings, self.spool))
            for _ in range(self.helpers):  # the pool starts a process per task while none is idle
                self.pool.submit(os.getpid)
        return self.pool

    def _write(self, groups: list[tuple[str, Group]], boundary: bool) -> None:
        now = now_us()
        start, end, _ = self.wal.append([PendingChunk(listener, g.fmt, "", now, g.records) for listener, g in groups])
        self.wal.sync()
        self.batches += 1
        if self.batches == 1 and not self.helpers_from_start:
            # a small import stays in this process: no helper start-up for it
            self._commit(normalize(BatchWork(self.settings), start), start, end, boundary)
            return
        self.inflight.append((self._start_helpers().submit(import_helper.normalize_to_spool, start), start, end, boundary,
                              self.wal.last_originals()))
        while len(self.inflight) > self.helpers + 2:  # helpers stay busy during a commit
            self._commit_oldest()

    def _commit_oldest(self) -> None:
        future, start, end, boundary, originals = self.inflight.popleft()
        name = future.result()
        events, dead, _ = read_set(self.spool, name)
        self.ready_sets.append(name)
        events = with_originals(events, originals, start)
        self._commit((events, dead, read_detections(self.spool, name)), start, end, boundary)

    def _commit(self, tables: tuple[pa.Table, pa.Table, pa.Table], start: int, end: int, boundary: bool) -> None:
        """Gathers batches until a row-group boundary (or ``COMMIT_BYTES``, for very large
        events), then commits them as one group."""
        self.ready.append((tables, (start, end)))
        self.ready_bytes += tables[0].nbytes + tables[1].nbytes
        if boundary or self.ready_bytes >= self.COMMIT_BYTES:
            self._commit_ready()

    def _commit_ready(self) -> None:
        """Hands the gathered group to the committing thread (after the previous group is
        in): DuckDB works without the GIL, so this process goes on reading, appending and
        feeding the helpers while a group is written (it would otherwise leave them idle)."""
        if not self.ready:
            return
        events, dead, detections = (pa.concat_tables([t[i] for t, _ in self.ready]) for i in range(3))
        ranges, sets = [r for _, r in self.ready], self.ready_sets
        self.ready, self.ready_sets, self.ready_bytes = [], [], 0
        self._committed()
        self.committing = self.committer.submit(self._store_group, events, dead, ranges, detections, sets)

    def _store_group(self, events: pa.Table, dead: pa.Table, ranges: list[tuple[int, int]],
                     detections: pa.Table, sets: list[str]) -> CommitResult:
        result = self.store.commit(events, dead, ranges, detections)
        for name in sets:
            remove_set(self.spool, name)
        return result

    def _committed(self) -> None:
        """Waits for the group being committed, if any, and counts it (its error raised here)."""
        if self.committing is not None:
            result = self.committing.result()
            self.committing = None
            self.events += result.events
            self.dead += result.dead
            self.detections += result.detections

    def finish(self) -> dict[str, float]:
        try:
            self.flush()
            while self.inflight:
                self._commit_oldest()
            self._commit_ready()
            self._committed()
        finally:
            self.committer.shutdown()
        if self.pool is not None:
            self.pool.shutdown()
        shutil.rmtree(self.spool, ignore_errors=True)
        self.wal.close()
        self.store.close()
        return {"stored": self.events, "dead_letters": self.dead, "detections": self.detections}


def with_originals(events: pa.Table, originals: pa.Array, start: int) -> pa.Table:
    """``events`` of the WAL batch at ``start`` with their ``original`` bytes, the batch's
    records as appended (an event's ``wal_offset`` is ``start`` plus its record's index)."""
    if not events.num_rows:
        return events
    index = pc.subtract(events.column("wal_offset"), pa.scalar(start, pa.uint64())).cast(pa.int64())
    if len(originals) != events.num_rows or not pc.all(pc.equal(index, pa.array(range(events.num_rows)))).as_py():
        originals = originals.take(index)
    return events.set_column(ORIGINAL, "original", originals)
