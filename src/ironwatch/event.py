"""Event identity and the flat event shape every stage passes along.

An event is a flat ``dict`` keyed by ECS dotted names (``host.name``, ``log.syslog.appname``);
times are epoch microseconds (see ``timeutil``). Identity is given once, at WAL append:
``event.id`` is a UUIDv7 (time-ordered, RFC 9562) and ``event.hash`` the SHA-256 of the
original bytes.
"""

from __future__ import annotations

import os
import time
import uuid

import numpy as np
from typing import Any

Event = dict[str, Any]

#: fields the intake and pipeline set on every event, whatever its format
IDENTITY_FIELDS = ("event.id", "event.hash", "event.created", "event.original",
                   "log.source.address", "ironwatch.listener", "ironwatch.wal_offset",
                   "ironwatch.parser")

SELF_DATASET = "ironwatch.self"


class Uuid7Generator:
    """UUIDv7 values (RFC 9562), monotonic across calls, made a batch at a time.

    Within a millisecond the 12-bit ``rand_a`` field counts up (method 1, fixed-length
    counter); when it runs out the generator borrows the next millisecond, so ids never
    go backwards even at millions per second. The remaining 62 bits are random.
    """

    def __init__(self) -> None:
        self._ms = 0
        self._counter = -1

    def take(self, n: int, unix_ms: int | None = None) -> bytes:
        """``n`` ids as 16·n raw bytes, in increasing order."""
        if n == 0:
            return b""
        now = time.time_ns() // 1_000_000 if unix_ms is None else unix_ms
        if now > self._ms:
            self._ms, self._counter = now, -1
        seq = np.arange(self._counter + 1, self._counter + 1 + n, dtype=np.uint64)
        ms = np.uint64(self._ms) + (seq >> np.uint64(12))
        hi = (ms << np.uint64(16)) | np.uint64(0x7000) | (seq & np.uint64(0xFFF))
        lo = np.frombuffer(os.urandom(8 * n), dtype=np.uint64) & np.uint64(0x3FFFFFFFFFFFFFFF) \
            | np.uint64(0x8000000000000000)
        last = int(seq[-1])
        self._ms += last >> 12
        self._counter = last & 0xFFF
        out = np.empty((n, 2), dtype=">u8")
        out[:, 0] = hi
        out[:, 1] = lo
        return out.tobytes()


def uuid7() -> bytes:
    return Uuid7Generator().take(1)


def uuid_str(raw: bytes) -> str:
    return str(uuid.UUID(bytes=raw))


def uuid7_time_ms(raw: bytes) -> int:
    return int.from_bytes(raw[:6], "big")
