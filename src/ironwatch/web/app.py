"""The HTTP application: health, ingest (JSON lines, Splunk HEC, Elasticsearch ``_bulk``),
status, search, access and the console pages.

Ingest is answered 200 only after the intake reports the batch durable in the WAL; when the
intake applies backpressure the answer is 503 with ``Retry-After``.
"""

from __future__ import annotations

import hashlib
from typing import Any

from fastapi import Depends, FastAPI, HTTPException, Query, Request
from fastapi.responses import RedirectResponse

from ..core.intake_client import IntakeClient
from ..core.service import CoreService
from ..errors import IronwatchError, ServerNotRunning
from ..query.simple import QueryError
from ..timeutil import parse_time_arg
from ..auth.guard import RateLimiter
from ..auth.roles import INGEST, READERS, SEARCHERS
from ..core.access import Principal
from .access import LoginRedirect, client_address, public, require
from . import shippers
from .body import read_body
from .pages import build_pages
from .routes_access import build_router
from .routes_rules import build_rules_router


def create_app(service: CoreService, intake: IntakeClient, max_body: int) -> FastAPI:
    app = FastAPI(title="Ironwatch", version="0.1.0", docs_url=None, redoc_url=None, openapi_url=None)
    auth = service.settings.auth
    app.state.access = service.access
    app.state.limits = {"token": RateLimiter(auth.rate_per_token, 4 * auth.rate_per_token),
                        "ingest": RateLimiter(auth.rate_per_ingest_token, 4 * auth.rate_per_ingest_token),
                        "address": RateLimiter(auth.rate_per_address, 4 * auth.rate_per_address)}

    @app.exception_handler(LoginRedirect)
    async def to_login(request: Request, exc: LoginRedirect) -> RedirectResponse:
        from urllib.parse import quote
        return RedirectResponse(f"/login?next={quote(exc.target)}", status_code=303)

    # routes are added flat (not as included sub-routers) so that the route table lists every
    # route with its role declaration for the access test
    for router in (build_router(service), build_rules_router(service), build_pages(service)):
        app.router.routes.extend(router.routes)
    shippers.install(app, intake, max_body, hashlib.sha256(str(service.settings.data_path.resolve()).encode()).hexdigest()[:22])

    @app.get("/api/v1/openapi.json")
    async def openapi(who: Principal = Depends(require(*READERS, INGEST))) -> dict[str, Any]:
        return app.openapi()

    @app.get("/api/v1/health", dependencies=[Depends(public)])
    async def health() -> dict[str, str]:
        return {"status": "ok"}

    @app.post("/api/v1/ingest")
    async def ingest(request: Request, who: Principal = Depends(require(INGEST))) -> dict[str, Any]:
        body = await read_body(request, max_body)
        client = request.client.host if request.client else ""
        try:
            reply = await intake.ingest(body, "http", "json", client)
        except ServerNotRunning as exc:
            raise HTTPException(503, str(exc), headers={"Retry-After": "5"}) from exc
        if not reply.get("ok"):
            raise HTTPException(503, str(reply.get("error")), headers={"Retry-After": str(reply.get("retry_after", 1))})
        return {"accepted": reply["count"], "durable_offset": reply["durable_offset"]}

    @app.get("/api/v1/status")
    async def status(who: Principal = Depends(require(*READERS))) -> dict[str, Any]:
        return await service.status()

    @app.get("/api/v1/sources")
    async def sources(who: Principal = Depends(require(*READERS))) -> dict[str, Any]:
        """Source health: per host and format, first/last seen, rate, parse errors, clock skew."""
        return {"sources": await service.sources()}

    @app.get("/api/v1/search")
    async def search(request: Request, q: str = "", start: str | None = Query(None, alias="from"), end: str | None = Query(None, alias="to"),
                     limit: int = Query(100, ge=1, le=10_000),
                     who: Principal = Depends(require(*SEARCHERS))) -> dict[str, Any]:
        try:
            from_us = parse_time_arg(start) if start else None
            to_us = parse_time_arg(end) if end else None
            events = await service.search(q, from_us, to_us, limit, who.actor, client_address(request))
        except (QueryError, IronwatchError) as exc:
            raise HTTPException(400, str(exc)) from exc
        return {"events": events, "count": len(events)}

    return app
