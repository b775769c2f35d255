"""Who may call which route: bearer tokens checked against the store, roles in one place.

Every route declares the roles it admits with ``Depends(require(...))``; a route without a
declaration is a defect the route-table test catches. Tokens are compared by SHA-256 and
cached briefly so the ingest path does not hit the store per request.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, Callable

from fastapi import HTTPException, Request

from ..core.firststart import token_hash
from ..store.hot import EventStore

ROLES = ("admin", "analyst", "viewer", "auditor", "ingest")
READ_ROLES = ("admin", "analyst", "viewer", "auditor")


@dataclass
class Principal:
    name: str
    role: str
    token_id: str


class TokenBook:
    def __init__(self, store: EventStore, ttl_s: float = 5.0) -> None:
        self.store = store
        self.ttl_s = ttl_s
        self._cache: dict[str, tuple[float, Principal | None]] = {}

    def lookup(self, token: str) -> Principal | None:
        h = token_hash(token)
        now = time.monotonic()
        hit = self._cache.get(h)
        if hit and now - hit[0] < self.ttl_s:
            return hit[1]
        row = self.store.cursor().execute(
            "SELECT id, name, role FROM api_tokens WHERE token_hash = ? AND revoked IS NULL "
            "AND (expires IS NULL OR expires > now())", [h]).fetchall()
        principal = Principal(row[0][1], row[0][2], row[0][0]) if row else None
        if len(self._cache) > 10_000:
            self._cache.clear()
        self._cache[h] = (now, principal)
        return principal


def bearer(request: Request) -> str | None:
    auth = request.headers.get("authorization", "")
    scheme, _, value = auth.partition(" ")
    if scheme.lower() in ("bearer", "splunk") and value.strip():
        return value.strip()
    return None


def require(*roles: str) -> Callable[[Request], Any]:
    """A dependency admitting ``roles`` (admin is always admitted)."""
    allowed = set(roles) | {"admin"}

    def check(request: Request) -> Principal:
        token = bearer(request)
        if token is None:
            raise HTTPException(401, "authentication required", headers={"WWW-Authenticate": "Bearer"})
        book: TokenBook = request.app.state.tokens
        principal = book.lookup(token)
        if principal is None:
            raise HTTPException(401, "invalid, expired or revoked token", headers={"WWW-Authenticate": "Bearer"})
        if principal.role not in allowed:
            raise HTTPException(403, f"role {principal.role!r} may not do this")
        return principal

    check.roles = tuple(sorted(allowed))  # type: ignore[attr-defined]
    return check


PUBLIC = "public"


def public(request: Request) -> None:
    """Marks a route deliberately open (health, login, static assets)."""
    return None


public.roles = (PUBLIC,)  # type: ignore[attr-defined]
