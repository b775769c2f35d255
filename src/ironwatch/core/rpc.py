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
from ..util.sockets import peer_user, serve_requests, write_json
from .service import CoreService


class RpcServer:
    def __init__(self, service: CoreService) -> None:
        self.service = service
        a = service.access
        st = service.on_store_thread
        src = "unix-socket"
        # every operation receives ``actor`` (local:<user>, from the peer credentials) first
        self.ops: dict[str, Callable[..., Awaitable[Any]]] = {
            "ping": lambda actor: self._ping(),
            "status": lambda actor: service.status(),
            "sources": lambda actor: service.sources(),
            "search": lambda actor, query="", from_us=None, to_us=None, limit=100: service.search(
                query, from_us, to_us, int(limit), actor, src),
            "deadletter.list": lambda actor, limit=100, include_replayed=False: service.dead_letters(
                int(limit), bool(include_replayed)),
            "deadletter.replay": lambda actor, limit=10_000: service.replay(int(limit), actor, src),
            "user.add": lambda actor, name, role, password=None: st(a.user_add, actor, src, name, role, password),
            "user.list": lambda actor: st(a.users.list),
            "user.passwd": lambda actor, name, password=None: st(a.user_passwd, actor, src, name, password),
            "user.role": lambda actor, name, role: st(a.user_role, actor, src, name, role),
            "user.disable": lambda actor, name, disabled=True: st(a.user_disable, actor, src, name, bool(disabled)),
            "token.create": lambda actor, name, role, expires=None: st(a.token_create, actor, src, name, role, expires),
            "token.list": lambda actor: st(a.tokens.list),
            "token.revoke": lambda actor, token_id: st(a.token_revoke, actor, src, token_id),
            "audit.list": lambda actor, limit=100, action=None: st(a.audit_list, actor, src, int(limit), action),
            "audit.verify": lambda actor, expect_head=None: st(a.audit_verify, actor, src, expect_head),
            "rules.list": lambda actor: service.rules_list(),
            "rules.set": lambda actor, rule_id, enabled=None, level=None: service.rule_set(
                actor, src, str(rule_id), None if enabled is None else bool(enabled), level),
            "rules.reload": lambda actor: service.rules_reload(actor, src),
            "detections": lambda actor, limit=100, rule_id=None, level=None, host=None, from_us=None, to_us=None:
                service.detections(int(limit), rule_id, level, host, from_us, to_us),
        }

    async def _ping(self) -> dict[str, Any]:
        return {"pong": True}

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        who = peer_user(writer.get_extra_info("socket"))

        async def answer(req: dict[str, Any]) -> None:
            await write_json(writer, await self._dispatch(req, who))

        await serve_requests(reader, writer, answer)

    async def _dispatch(self, req: dict[str, Any], who: str) -> dict[str, Any]:
        op = self.ops.get(str(req.get("op")))
        if op is None:
            return {"ok": False, "error": f"unknown operation {req.get('op')!r}"}
        try:
            return {"ok": True, "result": await op(who, **(req.get("args") or {})), "actor": who}
        except (IronwatchError, TypeError, ValueError) as exc:
            return {"ok": False, "error": str(exc)}
        except Exception as exc:  # noqa: BLE001 - the boundary: report, never drop the caller
            traceback.print_exc()
            return {"ok": False, "error": f"internal error in {req.get('op')}: {exc}"}
