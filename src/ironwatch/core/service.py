"""What the core can be asked to do, shared by the HTTP API and the CLI's Unix socket.

Each operation is a plain method taking plain arguments, so the two front doors (HTTP with
tokens, the local socket with peer credentials) cannot drift apart. Store access is
serialised on the core's single store thread; reads use per-thread cursors.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Callable, TypeVar

import orjson

from ..config import Settings
from ..errors import IronwatchError, StoreError
from ..store.hot import EventStore, list_dead_letters, search_events
from ..util.counters import SharedCounters, intake_counters
from .access import AccessService
from .replay import replay_dead_letters
from .rules import RuleService

T = TypeVar("T")


class CoreService:
    def __init__(self, settings: Settings, store: EventStore, counters: SharedCounters, access: AccessService) -> None:
        self.settings = settings
        self.access = access
        self.data_dir = settings.data_path
        self.store = store
        self.counters = counters
        self.store_thread = ThreadPoolExecutor(1, thread_name_prefix="store")
        self.read_threads = ThreadPoolExecutor(2, thread_name_prefix="read")
        self._intake: SharedCounters | None = None
        self._rate: deque[tuple[float, int]] = deque(maxlen=64)
        self.workers_alive: Callable[[], int] = lambda: 0
        self.rules = RuleService(settings, store, access)

    async def on_store_thread(self, fn: Callable[..., T], *args: Any) -> T:
        return await asyncio.get_running_loop().run_in_executor(self.store_thread, fn, *args)

    async def on_read_thread(self, fn: Callable[..., T], *args: Any) -> T:
        return await asyncio.get_running_loop().run_in_executor(self.read_threads, fn, *args)

    def intake(self) -> SharedCounters | None:
        if self._intake is None:
            try:
                self._intake = intake_counters(self.data_dir)
            except FileNotFoundError:
                return None
        return self._intake

    def sample_rate(self) -> None:
        self._rate.append((time.monotonic(), self.counters["events_stored"]))

    def events_per_second(self) -> float:
        if len(self._rate) < 2:
            return 0.0
        (t0, n0), (t1, n1) = self._rate[max(0, len(self._rate) - 11)], self._rate[-1]
        return round((n1 - n0) / (t1 - t0), 1) if t1 > t0 else 0.0

    # -- operations --------------------------------------------------------------------
    async def search(self, query: str, from_us: int | None, to_us: int | None, limit: int,
                     actor: str, source: str) -> list[dict[str, Any]]:
        """Search, recorded in the audit trail with the query (ISO 27001 A.8.15)."""
        try:
            found = await self.on_read_thread(search_events, self.store, query, from_us, to_us, limit)
        except IronwatchError as exc:
            await self.audit(actor, source, "search", None, "failure", {"query": query, "error": str(exc)})
            raise
        await self.audit(actor, source, "search", None, "success",
                         {"query": query, "from": from_us, "to": to_us, "limit": limit, "results": len(found)})
        return found

    async def audit(self, actor: str, source: str, action: str, target: str | None = None,
                    outcome: str = "success", details: dict[str, Any] | None = None) -> None:
        await self.on_store_thread(self.access.record, actor, source, action, target, outcome, details)

    def _sources(self) -> list[dict[str, Any]]:
        return self.store.health.report(self.settings.selfmon, self.store.cursor())

    async def sources(self) -> list[dict[str, Any]]:
        """Source health: per host and format (see ``store.health``)."""
        return await self.on_read_thread(self._sources)

    async def dead_letters(self, limit: int, include_replayed: bool) -> list[dict[str, Any]]:
        return await self.on_read_thread(list_dead_letters, self.store, limit, include_replayed)

    async def replay(self, limit: int, actor: str, source: str) -> dict[str, int]:
        result = await self.on_store_thread(replay_dead_letters, self.store, self.settings, limit)
        await self.audit(actor, source, "deadletter.replay", None, "success", dict(result))
        return result

    # -- rules and detections (core.rules) ------------------------------------------------
    async def rules_list(self) -> list[dict[str, Any]]:
        return await self.on_read_thread(self.rules.listing)

    async def rule_set(self, actor: str, source: str, rule_id: str, enabled: bool | None = None,
                       level: str | None = None) -> dict[str, Any]:
        """Enable, disable or override the level of a rule; audited; workers reload."""
        rule = await self.on_read_thread(self.rules.lookup, rule_id)
        return await self.on_store_thread(self.rules.set_state, actor, source, rule, enabled, level)

    async def rules_reload(self, actor: str, source: str) -> dict[str, Any]:
        return await self.on_store_thread(self.rules.reload, actor, source)

    async def detections(self, limit: int = 100, rule_id: str | None = None, level: str | None = None,
                         host: str | None = None, from_us: int | None = None,
                         to_us: int | None = None) -> list[dict[str, Any]]:
        return await self.on_read_thread(self.rules.detections, limit, rule_id, level, host, from_us, to_us)

    async def status(self) -> dict[str, Any]:
        totals = await self.on_read_thread(self.store.totals)
        ic = self.intake()
        intake = ic.as_dict() if ic else {}
        listeners: dict[str, str] = {}
        lpath = self.data_dir / "run" / "intake.listeners.json"
        if lpath.exists():
            listeners = orjson.loads(lpath.read_bytes())
        wal_bytes = sum(p.stat().st_size for p in (self.data_dir / "wal").glob("*.wal"))
        return {
            "server": "running",
            "listeners": listeners,
            "events_stored": totals["events"],
            "events_per_second": self.events_per_second(),
            "wal_durable_offset": intake.get("durable_offset", 0),
            "wal_committed_offset": self.store.watermark,
            "wal_backlog_bytes": max(0, intake.get("durable_offset", 0) - self.store.watermark),
            "wal_bytes": wal_bytes,
            "dead_letters": totals["dead_letters"] - totals["dead_letters_replayed"],
            "dead_letters_replayed": totals["dead_letters_replayed"],
            "udp_datagrams": intake.get("udp_datagrams", 0),
            "udp_drops": intake.get("udp_kernel_drops", 0) + intake.get("udp_backpressure_drops", 0),
            "udp_kernel_drops": intake.get("udp_kernel_drops", 0),
            "udp_backpressure_drops": intake.get("udp_backpressure_drops", 0),
            "oversize_messages": intake.get("oversize", 0),
            "tcp_connections": intake.get("tcp_connections", 0),
            "backpressure": bool(intake.get("backpressure", 0)),
            "segments": totals["segments"],
            "store_bytes": totals["size_bytes"],
            "workers": self.workers_alive(),
            "duplicate_batches_skipped": self.counters["duplicate_batches"],
            "detections_stored": totals["detections"],
            "detection": self.rules.summary(),
            "sources": await self.sources(),
        }


def store_size(path: Path) -> int:
    try:
        return path.stat().st_size
    except FileNotFoundError:
        raise StoreError(f"no store at {path}") from None
