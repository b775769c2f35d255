"""The CLI's door into a running core: JSON lines over ``run/core.sock`` (mode 0600).

Reaching the socket requires the file permissions of the data directory; the caller is
identified by its peer credentials as ``local:<user>``. A request is ``{"op": NAME,
"args": {...}}``; the answer is ``{"ok": true, "result": ...}`` or ``{"ok": false,
"error": MESSAGE}``.
"""

from __future__ import annotations

import asyncio
import traceback
from typing import Any, Awaitable, Callable

from ..errors import IronwatchError
from ..util.sockets import peer_user, read_json, write_json
from .service import CoreService


class RpcServer:
    def __init__(self, service: CoreService) -> None:
        self.service = service
        self.ops: dict[str, Callable[..., Awaitable[Any]]] = {
            "ping": self._ping,
            "status": lambda: service.status(),
            "search": lambda query="", from_us=None, to_us=None, limit=100: service.search(query, from_us, to_us, int(limit)),
            "deadletter.list": lambda limit=100, include_replayed=False: service.dead_letters(int(limit), bool(include_replayed)),
            "deadletter.replay": lambda limit=10_000: service.replay(int(limit)),
        }

    async def _ping(self) -> dict[str, Any]:
        return {"pong": True}

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        who = peer_user(writer.get_extra_info("socket"))
        try:
            while True:
                req = await read_json(reader)
                if req is None:
                    break
                await write_json(writer, await self._dispatch(req, who))
        except (ConnectionError, ValueError):
            pass
        finally:
            writer.close()

    async def _dispatch(self, req: dict[str, Any], who: str) -> dict[str, Any]:
        op = self.ops.get(str(req.get("op")))
        if op is None:
            return {"ok": False, "error": f"unknown operation {req.get('op')!r}"}
        try:
            return {"ok": True, "result": await op(**(req.get("args") or {})), "actor": who}
        except (IronwatchError, TypeError, ValueError) as exc:
            return {"ok": False, "error": str(exc)}
        except Exception as exc:  # noqa: BLE001 - the boundary: report, never drop the caller
            traceback.print_exc()
            return {"ok": False, "error": f"internal error in {req.get('op')}: {exc}"}
