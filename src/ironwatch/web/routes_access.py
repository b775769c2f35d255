"""API routes for identity and the audit trail: login, logout, passwords, users, tokens, audit."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Request, Response
from pydantic import BaseModel, Field

from ..auth.roles import AUDIT_READERS, LOGIN_ROLES
from ..core.access import LoginRefused, Principal
from ..core.service import CoreService
from ..errors import AccessError
from .access import CSRF_COOKIE, SESSION_COOKIE, _same_origin, client_address, public, require


class LoginBody(BaseModel):
    username: str = Field(max_length=256)
    password: str = Field(max_length=1024)


class PasswordBody(BaseModel):
    current_password: str = Field(max_length=1024)
    new_password: str = Field(max_length=1024)


class UserBody(BaseModel):
    name: str = Field(max_length=64)
    role: str
    password: str | None = Field(default=None, max_length=1024)


class UserPatch(BaseModel):
    role: str | None = None
    disabled: bool | None = None


class ResetBody(BaseModel):
    password: str | None = Field(default=None, max_length=1024)


class TokenBody(BaseModel):
    name: str = Field(max_length=100)
    role: str
    expires: str | None = Field(default=None, description="lifetime such as 90d; none for no expiry")


def set_session_cookies(request: Request, response: Response, sid: str, csrf: str, max_age: int) -> None:
    secure = request.url.scheme == "https"
    response.set_cookie(SESSION_COOKIE, sid, max_age=max_age, httponly=True, secure=secure, samesite="strict", path="/")
    response.set_cookie(CSRF_COOKIE, csrf, max_age=max_age, httponly=False, secure=secure, samesite="strict", path="/")


def clear_session_cookies(response: Response) -> None:
    response.delete_cookie(SESSION_COOKIE, path="/")
    response.delete_cookie(CSRF_COOKIE, path="/")


async def login_session(service: CoreService, request: Request, username: str, password: str) -> tuple[str, Principal]:
    """Log in (same origin only); 401 for bad credentials, 429 with Retry-After when locked out."""
    if not _same_origin(request):
        raise HTTPException(403, "cross-site login refused")
    try:
        return await service.on_store_thread(service.access.login, username, password, client_address(request))
    except LoginRefused as exc:
        status = 429 if exc.retry_after else 401
        headers = {"Retry-After": str(int(exc.retry_after) + 1)} if exc.retry_after else None
        raise HTTPException(status, str(exc), headers=headers) from exc


def build_router(service: CoreService) -> APIRouter:
    r = APIRouter(prefix="/api/v1")
    access = service.access
    absolute_s = int(access.sessions.absolute_us // 1_000_000)

    @r.post("/auth/login", dependencies=[Depends(public)])
    async def login(body: LoginBody, request: Request, response: Response) -> dict[str, Any]:
        sid, who = await login_session(service, request, body.username, body.password)
        assert who.session is not None
        set_session_cookies(request, response, sid, who.session.csrf, absolute_s)
        return {"user": who.name, "role": who.role, "must_change_password": who.must_change,
                "csrf_token": who.session.csrf}

    @r.post("/auth/logout")
    async def logout(request: Request, response: Response,
                     who: Principal = Depends(require(*LOGIN_ROLES, allow_must_change=True))) -> dict[str, Any]:
        sid = request.cookies.get(SESSION_COOKIE)
        if sid:
            await service.on_store_thread(access.logout, sid, who, client_address(request))
        clear_session_cookies(response)
        return {"logged_out": True}

    @r.get("/auth/me")
    async def me(who: Principal = Depends(require(*LOGIN_ROLES, "ingest", allow_must_change=True))) -> dict[str, Any]:
        return {"user": who.name, "role": who.role, "kind": who.kind, "must_change_password": who.must_change}

    @r.post("/auth/password")
    async def change_password(body: PasswordBody, request: Request,
                              who: Principal = Depends(require(*LOGIN_ROLES, allow_must_change=True))) -> dict[str, Any]:
        if who.kind != "session":
            raise HTTPException(400, "change a password by logging in as that user")
        try:
            await service.on_store_thread(access.change_own_password, who, body.current_password, body.new_password,
                                          client_address(request), request.cookies.get(SESSION_COOKIE))
        except AccessError as exc:
            raise HTTPException(400, str(exc)) from exc
        return {"changed": True}

    @r.get("/users")
    async def list_users(who: Principal = Depends(require())) -> dict[str, Any]:
        return {"users": await service.on_store_thread(access.users.list)}

    async def act(fn: Any, who: Principal, request: Request, *args: Any, missing: int = 400) -> dict[str, Any]:
        """An audited change on the store thread; a refused one is a 400 (or ``missing``) with the reason."""
        try:
            result: dict[str, Any] = await service.on_store_thread(fn, who.actor, client_address(request), *args)
        except AccessError as exc:
            raise HTTPException(missing if str(exc).startswith("no ") else 400, str(exc)) from exc
        return result

    @r.post("/users")
    async def add_user(body: UserBody, request: Request, who: Principal = Depends(require())) -> dict[str, Any]:
        return await act(access.user_add, who, request, body.name, body.role, body.password)

    @r.patch("/users/{name}")
    async def change_user(name: str, body: UserPatch, request: Request,
                          who: Principal = Depends(require())) -> dict[str, Any]:
        out: dict[str, Any] = {"name": name}
        if body.role is not None:
            out.update(await act(access.user_role, who, request, name, body.role, missing=404))
        if body.disabled is not None:
            out.update(await act(access.user_disable, who, request, name, body.disabled, missing=404))
        return out

    @r.post("/users/{name}/password")
    async def reset_password(name: str, body: ResetBody, request: Request,
                             who: Principal = Depends(require())) -> dict[str, Any]:
        return await act(access.user_passwd, who, request, name, body.password, missing=404)

    @r.get("/tokens")
    async def list_tokens(who: Principal = Depends(require())) -> dict[str, Any]:
        return {"tokens": await service.on_store_thread(access.tokens.list)}

    @r.post("/tokens")
    async def create_token(body: TokenBody, request: Request, who: Principal = Depends(require())) -> dict[str, Any]:
        return await act(access.token_create, who, request, body.name, body.role, body.expires)

    @r.delete("/tokens/{token_id}")
    async def revoke_token(token_id: str, request: Request, who: Principal = Depends(require())) -> dict[str, Any]:
        return await act(access.token_revoke, who, request, token_id, missing=404)

    @r.get("/audit")
    async def audit(request: Request, limit: int = 100, action: str | None = None,
                    who: Principal = Depends(require(*AUDIT_READERS))) -> dict[str, Any]:
        entries = await service.on_store_thread(access.audit_list, who.actor, client_address(request),
                                                max(1, min(limit, 10_000)), action)
        return {"entries": entries}

    @r.get("/audit/verify")
    async def audit_verify(request: Request, expect_head: str | None = None,
                           who: Principal = Depends(require(*AUDIT_READERS))) -> dict[str, Any]:
        return await service.on_store_thread(access.audit_verify, who.actor, client_address(request), expect_head)

    return r
