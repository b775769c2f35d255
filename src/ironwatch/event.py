"""Event identity and the flat event shape every stage passes along.

An event is a flat ``dict`` keyed by ECS dotted names (``host.name``, ``log.syslog.appname``);
times are epoch microseconds (see ``timeutil``). Identity is given once, at WAL append:
``event.id`` is a UUIDv7 (time-ordered, RFC 9562) and ``event.hash`` the SHA-256 of the
original bytes.
"""

from __future__ import annotations

import os
import uuid
from typing import Any

Event = dict[str, Any]

#: fields the intake and pipeline set on every event, whatever its format
IDENTITY_FIELDS = ("event.id", "event.hash", "event.created", "event.original",
                   "log.source.address", "ironwatch.listener", "ironwatch.wal_offset",
                   "ironwatch.parser")

SELF_DATASET = "ironwatch.self"


def uuid7_batch(unix_ms: int, n: int) -> list[bytes]:
    """``n`` distinct UUIDv7 values (16 raw bytes each) for one millisecond, in order.

    Within a batch the 12-bit ``rand_a`` field counts up (RFC 9562 method 1, fixed-length
    counter) so ids stay monotonic; the remaining 62 bits are random. Batches larger than
    4096 spill into the following milliseconds.
    """
    out: list[bytes] = []
    rnd = os.urandom(8 * n)
    for i in range(n):
        ms = unix_ms + (i >> 12)
        counter = i & 0xFFF
        hi = (ms << 16) | 0x7000 | counter
        lo = int.from_bytes(rnd[8 * i: 8 * i + 8], "big") & 0x3FFFFFFFFFFFFFFF | 0x8000000000000000
        out.append(hi.to_bytes(8, "big") + lo.to_bytes(8, "big"))
    return out


def uuid7() -> bytes:
    import time
    return uuid7_batch(time.time_ns() // 1_000_000, 1)[0]


def uuid_str(raw: bytes) -> str:
    return str(uuid.UUID(bytes=raw))


def uuid7_time_ms(raw: bytes) -> int:
    return int.from_bytes(raw[:6], "big")
