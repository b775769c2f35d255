"""The one place HTTP requests are authenticated and checked against roles.

Every route declares the roles it admits with ``Depends(require(...))`` (or ``public`` for
login, health and static assets); the route-table test fails for a route that declares
neither. A caller is an API token (``Authorization: Bearer``, or ``Splunk`` for HEC
clients) or a console session (cookie). Session requests that change state must carry the
session's CSRF token (``X-CSRF-Token`` header or ``csrf_token`` form field) and may not come
from another origin. A session whose password must be changed may only change it or log out.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any, Callable
from urllib.parse import urlsplit

from fastapi import HTTPException, Request

from ..auth.guard import RateLimiter
from ..core.access import AccessService, Principal

SESSION_COOKIE = "iw_session"
CSRF_COOKIE = "iw_csrf"
PUBLIC = "public"
_UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}


class LoginRedirect(Exception):
    """A page asked for by someone not logged in: answered with a redirect to /login."""

    def __init__(self, target: str) -> None:
        self.target = target


#: paths answered as APIs (401/403), not as console pages (redirect to the login page)
API_PREFIXES = ("/api/", "/services/", "/es/")


def is_page(request: Request) -> bool:
    path = request.url.path
    return not (path.startswith(API_PREFIXES) or path == "/es")


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def bearer(request: Request) -> str | None:
    """The API token of a request: ``Bearer`` or ``Splunk`` (HEC) carry it as it is; basic
    auth (Beats, Logstash, Fluent Bit) carries it as the password, with any user name;
    ``ApiKey`` (Elastic clients) as the key of ``base64(id:key)``, or alone."""
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    scheme, value = scheme.lower(), value.strip()
    if not value:
        return None
    if scheme in ("bearer", "splunk"):
        return value
    if scheme in ("basic", "apikey"):
        try:
            decoded = base64.b64decode(value, validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            return value if scheme == "apikey" else None
        if ":" in decoded:
            return decoded.split(":", 1)[1] or None
        return decoded if scheme == "apikey" else None
    return None


def _refuse(request: Request, status: int, message: str, retry_after: float = 0.0) -> HTTPException:
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else {}
    if retry_after:
        headers["Retry-After"] = str(int(retry_after) + 1)
    return HTTPException(status, message, headers=headers or None)


def _same_origin(request: Request) -> bool:
    origin = request.headers.get("origin") or request.headers.get("referer")
    if not origin:
        return True
    return urlsplit(origin).netloc == request.headers.get("host", "")


async def _check_csrf(request: Request, principal: Principal) -> None:
    if request.method not in _UNSAFE or principal.session is None:
        return
    if not _same_origin(request):
        raise _refuse(request, 403, "cross-site request refused")
    sent = request.headers.get("x-csrf-token")
    if sent is None and request.headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
        form = await request.form()
        value = form.get("csrf_token")
        sent = value if isinstance(value, str) else None
    if sent != principal.session.csrf:
        raise _refuse(request, 403, "missing or wrong CSRF token")


async def authenticate(request: Request) -> Principal | None:
    access: AccessService = request.app.state.access
    limits: dict[str, RateLimiter] = request.app.state.limits
    token = bearer(request)
    if token is not None:
        principal = access.token_principal(token)
        if principal is None:
            wait = limits["address"].allow(client_address(request))
            raise _refuse(request, 429 if wait else 401, "too many requests" if wait else
                          "invalid, expired or revoked token", wait)
        limiter = limits["ingest" if principal.role == "ingest" else "token"]
        wait = limiter.allow(principal.token_id or principal.name)
        if wait:
            raise _refuse(request, 429, "rate limit for this token exceeded", wait)
        return principal
    wait = limits["address"].allow(client_address(request))
    if wait:
        raise _refuse(request, 429, "too many requests from this address", wait)
    sid = request.cookies.get(SESSION_COOKIE)
    return access.session_principal(sid) if sid else None


def require(*roles: str, allow_must_change: bool = False) -> Callable[[Request], Any]:
    """A dependency admitting ``roles`` (admin always); 401/redirect for no one, 403 for others."""
    allowed = frozenset(roles) | {"admin"}

    async def check(request: Request) -> Principal:
        principal = await authenticate(request)
        if principal is None:
            if is_page(request):
                raise LoginRedirect(str(request.url.path))
            raise _refuse(request, 401, "authentication required")
        await _check_csrf(request, principal)
        if principal.must_change and not allow_must_change:
            raise _refuse(request, 403, "password change required before anything else")
        if principal.role not in allowed:
            raise _refuse(request, 403, f"role {principal.role!r} may not do this")
        request.state.principal = principal
        return principal

    check.roles = tuple(sorted(allowed))  # type: ignore[attr-defined]
    return check


async def public(request: Request) -> None:
    """Marks a route deliberately open (health, login, static assets); still rate-limited."""
    limits: dict[str, RateLimiter] = request.app.state.limits
    wait = limits["address"].allow(client_address(request))
    if wait:
        raise _refuse(request, 429, "too many requests from this address", wait)


public.roles = (PUBLIC,)  # type: ignore[attr-defined]
