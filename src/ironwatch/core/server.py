"""The core process: the only owner of the DuckDB store.

It dispatches WAL batches to the workers (``dispatch``), commits their spool sets on one
store thread (events and WAL ranges in one transaction), serves the HTTP API (``web``) and
the CLI's Unix socket (``rpc``), and reports its own conditions as ``ironwatch.self``
events. ``IRONWATCH_TEST_HOOKS=1`` enables ``run/stall-store``: while that file exists,
nothing is committed (backpressure tests).
"""

from __future__ import annotations

import asyncio
import os
import signal
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import psutil
import pyarrow as pa

from ..config import Settings
from ..errors import StoreError
from ..pipeline.spool import complete_sets, read_detections, read_manifest, read_set, remove_set, set_size
from ..store.health import SilenceRule
from ..store.hot import EventStore
from ..timeutil import iso, now_us
from ..util.counters import core_counters
from ..util.sockets import run_dir, start_unix_server
from .access import ADMIN_PASSWORD_FILE, AccessService
from .dispatch import WorkDispatcher, WorkerConn
from .firststart import ensure_first_start
from .intake_client import IntakeClient
from .rpc import RpcServer
from .service import CoreService

#: one DuckDB row group: a transaction of this many rows is written to the database file directly
COMMIT_ROWS = 122_880
#: sets this large mean a busy pipeline: the core then waits for a row group's worth
COMMIT_BUSY_ROWS = COMMIT_ROWS // 8
#: the longest the core waits for more sets before committing what it has
COMMIT_WAIT_S = 1.0
#: the most rows, event bytes and sets one commit takes (bounds the core's memory)
COMMIT_MAX_ROWS = 2 * COMMIT_ROWS
COMMIT_MAX_BYTES = 256 << 20
MAX_SETS_PER_COMMIT = 16


@dataclass
class _Commit:
    """The spool sets (worker, name) gathered for one commit."""

    sets: list[tuple[int, str]] = field(default_factory=list)
    rows: int = 0
    size: int = 0

    def add(self, spool: Path, item: tuple[int, str]) -> None:
        rows, size = set_size(spool, item[1])
        self.sets.append(item)
        self.rows += rows
        self.size += size

    def full(self) -> bool:
        return (len(self.sets) >= MAX_SETS_PER_COMMIT or self.rows >= COMMIT_MAX_ROWS
                or self.size >= COMMIT_MAX_BYTES)


class Core:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.data_dir = settings.data_path
        self.counters = core_counters(self.data_dir, create=True)
        self.counters.reset()
        self.counters["pid"] = os.getpid()
        self.counters["started_us"] = now_us()
        self.store = EventStore(self.data_dir, settings.store)
        self.counters["committed_offset"] = self.store.watermark
        self.counters["events_stored"] = self.store.totals()["events"]
        self.intake = IntakeClient(self.data_dir)
        self.access = AccessService(self.store.con, self.data_dir, settings, self._self_event_threadsafe)
        self.service = CoreService(settings, self.store, self.counters, self.access)
        self.loop: asyncio.AbstractEventLoop | None = None
        self.spool = self.data_dir / "spool"
        self.commits: asyncio.Queue[tuple[int, str]] = asyncio.Queue()
        self.dispatcher = WorkDispatcher(
            self.data_dir / "wal", self.store.is_stored, self.store.watermark, self._durable,
            settings.pipeline.batch_max_events, settings.pipeline.batch_max_ms, self._on_done)
        self.service.workers_alive = lambda: len(self.dispatcher.workers)
        self._test_hooks = os.environ.get("IRONWATCH_TEST_HOOKS") == "1"
        self._dead_in_interval = 0

    def _self_event_threadsafe(self, action: str, message: str, **fields: Any) -> None:
        """Self events from the store thread (login failures, lockouts) go out through the loop."""
        if self.loop is not None:
            asyncio.run_coroutine_threadsafe(self.intake.self_event(action, message, **fields), self.loop)

    def _durable(self) -> int:
        ic = self.service.intake()
        return ic["durable_offset"] if ic else 0

    def _on_done(self, worker: WorkerConn, name: str) -> None:
        self.commits.put_nowait((worker.ident, name))

    def _commit_sets(self, names: list[str]) -> tuple[int, int, int]:
        """Commit several spool sets in one transaction (bigger transactions cost DuckDB less per row)."""
        parts = [read_set(self.spool, name) for name in names]
        events = pa.concat_tables([p[0] for p in parts]) if len(parts) > 1 else parts[0][0]
        dead = pa.concat_tables([p[1] for p in parts]) if len(parts) > 1 else parts[0][1]
        detections = pa.concat_tables([read_detections(self.spool, name) for name in names])
        result = self.store.commit(events, dead, [b for p in parts for b in p[2]], detections)
        for name in names:
            # counters are advisory (a redone batch was evaluated again): added even when skipped
            self.service.rules.add_stats(read_manifest(self.spool, name).get("rule_stats") or {})
            remove_set(self.spool, name)
        self.counters.add("detections_stored", result.detections)
        return result.events, result.dead, result.skipped_batches

    def _take_queued(self, pending: _Commit) -> None:
        """Adds queued sets to ``pending`` while it is within one commit's budget."""
        while not pending.full() and not self.commits.empty():
            pending.add(self.spool, self.commits.get_nowait())

    async def _next_commit(self) -> list[tuple[int, str]]:
        """The sets of the next commit.

        At low rates each set is committed as soon as it is done (events are searchable at
        once). When the sets come in large (``COMMIT_BUSY_ROWS`` or more: a busy pipeline),
        the core waits up to ``COMMIT_WAIT_S`` for a whole DuckDB row group: a commit of
        ``COMMIT_ROWS`` or more is written straight to the database file instead of first
        to DuckDB's own log, which costs the store about a third less per event."""
        pending = _Commit()
        pending.add(self.spool, await self.commits.get())
        self._take_queued(pending)
        if not COMMIT_BUSY_ROWS <= pending.rows < COMMIT_ROWS:
            return pending.sets
        deadline = time.monotonic() + COMMIT_WAIT_S
        while pending.rows < COMMIT_ROWS and not pending.full() and self.dispatcher.can_hand_in():
            try:
                item = await asyncio.wait_for(self.commits.get(), deadline - time.monotonic())
            except TimeoutError:
                break
            pending.add(self.spool, item)
            self._take_queued(pending)
        return pending.sets

    async def committer(self) -> None:
        stall = self.data_dir / "run" / "stall-store"
        while True:
            taken = await self._next_commit()
            while self._test_hooks and stall.exists():
                self.counters["store_stalled"] = 1
                await asyncio.sleep(0.05)
            self.counters["store_stalled"] = 0
            try:
                n_events, n_dead, skipped = await self.service.on_store_thread(self._commit_sets, [n for _, n in taken])
            except (StoreError, OSError) as exc:
                # The sets stay on disk and their batches are redone; a store failure is
                # reported, never swallowed.
                print(f"ironwatch core: commit of {[n for _, n in taken]} failed: {exc}", flush=True)
                await asyncio.sleep(1)
                for ident, _ in taken:
                    self.dispatcher.committed(ident)
                continue
            self.counters["committed_offset"] = self.store.watermark
            self.counters.add("events_stored", n_events)
            self.counters.add("dead_letters", n_dead)
            self.counters.add("batches_committed")
            self.counters.add("duplicate_batches", skipped)
            self._dead_in_interval += n_dead
            for ident, _ in taken:
                self.dispatcher.committed(ident)

    async def recover_spool(self) -> None:
        """Commit complete spool sets left by a crash before handing out new work."""
        for name in complete_sets(self.spool):
            await self.service.on_store_thread(self._commit_sets, [name])
        self.counters["committed_offset"] = self.store.watermark

    async def self_monitor(self) -> None:
        interval = self.settings.selfmon.interval_s
        while True:
            await asyncio.sleep(1)
            self.service.sample_rate()
            self.counters["rss_bytes"] = psutil.Process().memory_info().rss
            now = time.monotonic()
            if int(now) % max(1, int(interval)) == 0:
                if self._dead_in_interval >= self.settings.selfmon.parse_error_burst:
                    await self.intake.self_event("parse-error-burst",
                                                 f"{self._dead_in_interval} records dead-lettered in {interval:g}s",
                                                 dead_letters=self._dead_in_interval, interval_s=interval)
                self._dead_in_interval = 0
                await self.check_sources()

    async def check_sources(self) -> None:
        """``source-silent`` / ``source-resumed`` self events (see ``store.health``)."""
        rule = SilenceRule.from_settings(self.settings.selfmon)
        silent = await self.service.on_store_thread(self.store.health.check_silence, rule, now_us())
        for src in silent:
            age = (now_us() - src["last_seen_us"]) // 1_000_000
            await self.intake.self_event(
                "source-silent", f"source {src['host'] or src['sender']} ({src['format']}) silent for {age}s; "
                f"it is called silent after {src['silent_after_s']}s without an event",
                host=src["host"], format=src["format"], sender=src["sender"], last_seen=iso(src["last_seen_us"]),
                silent_after_s=src["silent_after_s"])
        for host, fmt in self.store.health.take_resumed():
            await self.intake.self_event("source-resumed", f"source {host} ({fmt}) sends again",
                                         host=host, format=fmt)

    async def retention(self) -> None:
        """Drop whole day segments older than ``store.retention_days`` (no row deletes)."""
        while True:
            days = self.settings.store.retention_days
            if days > 0:
                cutoff = datetime.now(timezone.utc).date() - timedelta(days=days)
                dropped = await self.service.on_store_thread(self.store.drop_segments_before, cutoff)
                if dropped:
                    await self.intake.self_event("retention-drop", f"dropped {len(dropped)} day segment(s) before {cutoff}",
                                                 segments=dropped, retention_days=days)
            await asyncio.sleep(3600)

    async def serve(self) -> None:
        from ..web.server import start_http

        self.loop = asyncio.get_running_loop()
        ensure_first_start(self.store, self.data_dir)
        password = await self.service.on_store_thread(self.access.ensure_admin)
        if password:
            print(f"ironwatch: created user 'admin' with one-time password (shown once, saved to "
                  f"{self.data_dir / ADMIN_PASSWORD_FILE}; change it at first login): {password}", flush=True)
        await self.service.on_store_thread(self.access.record_config, self.settings)
        await self.service.on_store_thread(self.service.rules.publish)
        await self.recover_spool()
        run = run_dir(self.data_dir)
        servers = [await start_unix_server(run / "worker.sock", self.dispatcher.handle),
                   await start_unix_server(run / "core.sock", RpcServer(self.service).handle)]
        tasks = [asyncio.create_task(t) for t in (self.dispatcher.scanner(), self.committer(), self.self_monitor(), self.retention())]
        http = await start_http(self.settings, self.service, self.intake)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        loop.add_signal_handler(signal.SIGTERM, stop.set)
        (run / "core.ready").write_text(str(os.getpid()))
        await stop.wait()
        await http.stop()
        for srv in servers:
            srv.close()
        await self._drain_commits()
        for t in tasks:
            t.cancel()
        await self.service.on_store_thread(self.store.close)

    async def _drain_commits(self, timeout: float = 20.0) -> None:
        deadline = time.monotonic() + timeout
        while not self.commits.empty() and time.monotonic() < deadline:
            await asyncio.sleep(0.05)


async def run(settings: Settings) -> None:
    await Core(settings).serve()


