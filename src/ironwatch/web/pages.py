"""The console pages of this release: login, password change, logout and the status overview.

Server-rendered HTML, no JavaScript needed, no external assets. Every value that comes from
the store or the request is escaped (log content is hostile); forms carry the session's
CSRF token.
"""

from __future__ import annotations

from html import escape
from typing import Any

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from ..auth.roles import LOGIN_ROLES, READERS
from ..core.access import Principal
from ..core.service import CoreService
from ..errors import AccessError
from .access import SESSION_COOKIE, client_address, public, require
from .routes_access import clear_session_cookies, login_session, set_session_cookies

_STYLE = """body{font:15px system-ui,sans-serif;margin:0;background:#f4f5f7;color:#1d2430}
header{background:#1d2430;color:#fff;padding:.7em 1.2em;display:flex;justify-content:space-between;align-items:center}
header form{margin:0;display:flex;align-items:center;gap:.8em}header button{margin:0}main{max-width:56em;margin:2em auto;background:#fff;padding:1.5em 2em;border-radius:6px}
label{display:block;margin:.8em 0 .2em}input{font:inherit;padding:.4em;width:20em}
button{font:inherit;padding:.4em 1.2em;margin-top:1em}.err{color:#a30000}table{border-collapse:collapse}
td,th{padding:.3em .8em;border-bottom:1px solid #dde;text-align:left}"""


def page(title: str, body: str, who: Principal | None = None) -> HTMLResponse:
    bar = ""
    if who is not None and who.session is not None:
        bar = (f'<form method="post" action="/logout"><input type="hidden" name="csrf_token" '
               f'value="{escape(who.session.csrf)}">{escape(who.name)} ({escape(who.role)}) '
               f'<button type="submit">Log out</button></form>')
    html = (f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{escape(title)} · Ironwatch</title>'
            f'<meta name="viewport" content="width=device-width"><style>{_STYLE}</style></head><body>'
            f'<header><strong>Ironwatch</strong>{bar}</header><main><h1>{escape(title)}</h1>{body}</main></body></html>')
    return HTMLResponse(html, headers={"Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; "
                                       "form-action 'self'; frame-ancestors 'none'",
                                       "X-Content-Type-Options": "nosniff", "Referrer-Policy": "same-origin"})


def _login_form(error: str = "", next_path: str = "/") -> str:
    err = f'<p class="err">{escape(error)}</p>' if error else ""
    return (f'{err}<form method="post" action="/login"><input type="hidden" name="next" value="{escape(next_path)}">'
            '<label for="u">User</label><input id="u" name="username" autocomplete="username" required>'
            '<label for="p">Password</label><input id="p" name="password" type="password" '
            'autocomplete="current-password" required><br><button type="submit">Log in</button></form>')


def _safe_next(path: str) -> str:
    return path if path.startswith("/") and not path.startswith("//") else "/"


def build_pages(service: CoreService) -> APIRouter:
    r = APIRouter()
    access = service.access
    absolute_s = int(access.sessions.absolute_us // 1_000_000)

    @r.get("/login", dependencies=[Depends(public)], response_class=HTMLResponse)
    async def login_page(next: str = "/") -> HTMLResponse:
        return page("Log in", _login_form(next_path=_safe_next(next)))

    @r.post("/login", dependencies=[Depends(public)], response_class=HTMLResponse)
    async def login_submit(request: Request, username: str = Form(max_length=256),
                           password: str = Form(max_length=1024), next: str = Form("/")) -> Any:
        try:
            sid, who = await login_session(service, request, username, password)
        except HTTPException as exc:
            resp = page("Log in", _login_form(str(exc.detail), _safe_next(next)))
            resp.status_code = exc.status_code
            return resp
        target = "/account/password" if who.must_change else _safe_next(next)
        redirect = RedirectResponse(target, status_code=303)
        assert who.session is not None
        set_session_cookies(request, redirect, sid, who.session.csrf, absolute_s)
        return redirect

    @r.post("/logout")
    async def logout_submit(request: Request,
                            who: Principal = Depends(require(*LOGIN_ROLES, allow_must_change=True))) -> Any:
        sid = request.cookies.get(SESSION_COOKIE)
        if sid:
            await service.on_store_thread(access.logout, sid, who, client_address(request))
        resp = RedirectResponse("/login", status_code=303)
        clear_session_cookies(resp)
        return resp

    def _password_form(who: Principal, error: str = "") -> str:
        assert who.session is not None
        note = "<p>You must choose a new password before going on.</p>" if who.must_change else ""
        err = f'<p class="err">{escape(error)}</p>' if error else ""
        return (f'{note}{err}<form method="post" action="/account/password">'
                f'<input type="hidden" name="csrf_token" value="{escape(who.session.csrf)}">'
                '<label for="c">Current password</label><input id="c" name="current_password" type="password" '
                'autocomplete="current-password" required><label for="n">New password (at least 12 characters)</label>'
                '<input id="n" name="new_password" type="password" autocomplete="new-password" required>'
                '<br><button type="submit">Change password</button></form>')

    @r.get("/account/password", response_class=HTMLResponse)
    async def password_page(who: Principal = Depends(require(*LOGIN_ROLES, allow_must_change=True))) -> HTMLResponse:
        return page("Change password", _password_form(who), who)

    @r.post("/account/password", response_class=HTMLResponse)
    async def password_submit(request: Request, current_password: str = Form(max_length=1024),
                              new_password: str = Form(max_length=1024),
                              who: Principal = Depends(require(*LOGIN_ROLES, allow_must_change=True))) -> Any:
        try:
            await service.on_store_thread(access.change_own_password, who, current_password, new_password,
                                          client_address(request), request.cookies.get(SESSION_COOKIE))
        except AccessError as exc:
            resp = page("Change password", _password_form(who, str(exc)), who)
            resp.status_code = 400
            return resp
        return RedirectResponse("/", status_code=303)

    @r.get("/", response_class=HTMLResponse)
    async def home(who: Principal = Depends(require(*READERS))) -> HTMLResponse:
        status = await service.status()
        def cell(v: Any) -> str:
            if isinstance(v, dict):
                return "<br>".join(f"{escape(str(k))} {escape(str(x))}" for k, x in v.items())
            return escape(str(v))

        rows = "".join(f"<tr><th>{escape(str(k))}</th><td>{cell(v)}</td></tr>" for k, v in status.items())
        return page("Status", f"<table>{rows}</table>", who)

    return r
