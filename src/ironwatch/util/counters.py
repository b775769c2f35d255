"""Counters shared between processes through a small memory-mapped file.

Each process owns the counters it writes (intake: offsets and receive counts; core: stored
offsets and totals) and others only read them, so there is no locking: a reader may see a
value one update old, never a torn one (aligned 8-byte stores). Used by ``status``, by the
core to see the durable WAL offset, and by intake to see how far the store has caught up.
"""

from __future__ import annotations

import mmap
import os
from pathlib import Path


class SharedCounters:
    def __init__(self, path: Path, names: tuple[str, ...], create: bool = False) -> None:
        self.names = names
        self._index = {n: i for i, n in enumerate(names)}
        size = 8 * len(names)
        path.parent.mkdir(parents=True, exist_ok=True)
        if create:
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
            if os.fstat(fd).st_size < size:
                os.ftruncate(fd, size)
        else:
            fd = os.open(path, os.O_RDONLY)
            if os.fstat(fd).st_size < size:
                os.close(fd)
                raise FileNotFoundError(f"{path} is not initialised")
        access = mmap.ACCESS_WRITE if create else mmap.ACCESS_READ
        self._mm = mmap.mmap(fd, size, access=access)
        os.close(fd)
        self._v = memoryview(self._mm).cast("q")

    def __getitem__(self, name: str) -> int:
        return int(self._v[self._index[name]])

    def __setitem__(self, name: str, value: int) -> None:
        self._v[self._index[name]] = value

    def add(self, name: str, n: int = 1) -> None:
        i = self._index[name]
        self._v[i] += n

    def as_dict(self) -> dict[str, int]:
        return {n: int(self._v[i]) for i, n in enumerate(self.names)}

    def reset(self) -> None:
        for i in range(len(self.names)):
            self._v[i] = 0


INTAKE_COUNTERS = (
    "pid", "started_us", "written_offset", "durable_offset", "chain_batches",
    "events_received", "bytes_received", "udp_datagrams", "udp_kernel_drops",
    "udp_backpressure_drops", "oversize", "tcp_connections", "tcp_connections_total",
    "tls_handshake_failures", "backpressure", "http_batches", "connections_refused",
    "rss_bytes",
)

CORE_COUNTERS = (
    "pid", "started_us", "committed_offset", "events_stored", "dead_letters",
    "batches_committed", "duplicate_batches", "store_stalled", "rss_bytes", "detections_stored",
)


def intake_counters(data_dir: Path, create: bool = False) -> SharedCounters:
    return SharedCounters(data_dir / "run" / "intake.counters", INTAKE_COUNTERS, create)


def core_counters(data_dir: Path, create: bool = False) -> SharedCounters:
    return SharedCounters(data_dir / "run" / "core.counters", CORE_COUNTERS, create)
