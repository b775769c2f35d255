"""API routes for Sigma rules and detections: list rules with their state and counters,
enable, disable, override the level, reload; list stored detections.

Readers may list; analysts (and admins) may change. Every change goes to the audit trail
(``core.rules``) and reaches the workers with the next rule-set version.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from pydantic import BaseModel

from ..auth.roles import ANALYST, READERS
from ..core.access import Principal
from ..core.service import CoreService
from ..errors import IronwatchError, RuleError
from ..timeutil import parse_time_arg
from .access import client_address, require


class LevelBody(BaseModel):
    level: str | None = None  # informational, low, medium, high, critical; null removes the override


def build_rules_router(service: CoreService) -> APIRouter:
    r = APIRouter(prefix="/api/v1")

    async def change(request: Request, who: Principal, rule_id: str, enabled: bool | None = None,
                     level: str | None = None) -> dict[str, Any]:
        try:
            return await service.rule_set(who.actor, client_address(request), rule_id, enabled, level)
        except RuleError as exc:
            raise HTTPException(404 if "no loaded rule" in str(exc) else 400, str(exc)) from exc

    @r.get("/rules")
    async def rules(who: Principal = Depends(require(*READERS))) -> dict[str, Any]:
        """Loaded rules with state (enabled, level override) and counters since the core started."""
        found = await service.rules_list()
        return {"rules": found, "count": len(found)}

    @r.post("/rules/reload")
    async def reload(request: Request, who: Principal = Depends(require(ANALYST))) -> dict[str, Any]:
        """Workers reload the rule folders (new and changed files) with the current state."""
        return await service.rules_reload(who.actor, client_address(request))

    @r.post("/rules/{rule_id}/enable")
    async def enable(rule_id: str, request: Request, who: Principal = Depends(require(ANALYST))) -> dict[str, Any]:
        return await change(request, who, rule_id, enabled=True)

    @r.post("/rules/{rule_id}/disable")
    async def disable(rule_id: str, request: Request, who: Principal = Depends(require(ANALYST))) -> dict[str, Any]:
        return await change(request, who, rule_id, enabled=False)

    @r.put("/rules/{rule_id}/level")
    async def level(rule_id: str, body: LevelBody, request: Request,
                    who: Principal = Depends(require(ANALYST))) -> dict[str, Any]:
        return await change(request, who, rule_id, level=body.level or "")

    @r.get("/detections")
    async def detections(limit: int = Query(100, ge=1, le=10_000), rule_id: str | None = None,
                         level: str | None = None, host: str | None = None,
                         start: str | None = Query(None, alias="from"), end: str | None = Query(None, alias="to"),
                         who: Principal = Depends(require(*READERS))) -> dict[str, Any]:
        """Stored detections, newest first; filters: rule_id, level, host, from/to (receipt time)."""
        try:
            from_us = parse_time_arg(start) if start else None
            to_us = parse_time_arg(end) if end else None
        except IronwatchError as exc:
            raise HTTPException(400, str(exc)) from exc
        found = await service.detections(limit, rule_id, level, host, from_us, to_us)
        return {"detections": found, "count": len(found)}

    return r


__all__ = ["build_rules_router"]
