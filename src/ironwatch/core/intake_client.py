"""The core's (and the CLI's) side of the intake's local socket: durable appends."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path
from typing import Any

import orjson

from ..errors import ServerNotRunning
from ..event import SELF_DATASET
from ..timeutil import iso, now_us


class IntakeClient:
    def __init__(self, data_dir: Path) -> None:
        self.path = data_dir / "run" / "intake.sock"

    async def ingest(self, body: bytes, listener: str, fmt: str, address: str,
                     framing: str = "lines", chunks: list[dict[str, Any]] | None = None) -> dict[str, Any]:
        """Append records; returns once they are durable (``ok``) or refused (``error``).
        ``chunks`` splits a records-framed body into (listener, format, count) groups that
        are acknowledged together."""
        try:
            reader, writer = await asyncio.open_unix_connection(str(self.path), limit=1 << 20)
        except OSError as exc:
            raise ServerNotRunning(f"intake is not running ({self.path}): {exc.strerror}") from exc
        try:
            head: dict[str, Any] = {"op": "ingest", "listener": listener, "format": fmt, "address": address,
                                    "framing": framing, "length": len(body)}
            if chunks is not None:
                head["chunks"] = chunks
            writer.write(orjson.dumps(head) + b"\n")
            writer.write(body)
            await writer.drain()
            line = await reader.readline()
            if not line:
                raise ServerNotRunning("intake closed the connection before acknowledging")
            reply: dict[str, Any] = orjson.loads(line)
            return reply
        finally:
            writer.close()

    async def self_event(self, action: str, message: str, **fields: Any) -> None:
        """An ``ironwatch.self`` event; ``user``, ``address``, ``category`` and ``outcome`` map to ECS."""
        ecs = {"user.name": fields.pop("user", None), "source.ip": fields.pop("address", None),
               "event.category": fields.pop("category", None), "event.outcome": fields.pop("outcome", None)}
        ev = {"@timestamp": iso(now_us()), "event.dataset": SELF_DATASET, "event.module": "ironwatch",
              "event.kind": "event", "event.action": action, "event.provider": "core", "message": message,
              **{k: v for k, v in ecs.items() if v is not None},
              **{f"ironwatch.self.{k}": v for k, v in fields.items()}}
        try:
            await self.ingest(orjson.dumps(ev), "self", "json", "")
        except ServerNotRunning as exc:
            # The intake is restarting; the condition is still on record in the core's log.
            print(f"ironwatch core: self event {action!r} not written ({exc}): {message}", file=sys.stderr, flush=True)
