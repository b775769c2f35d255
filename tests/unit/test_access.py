"""Access control over HTTP, in-process: every route declares its roles and refuses everyone
else, the role matrix, sessions, CSRF and cross-site forms, cookie flags, expiry, tokens,
lockout, rate limits, and no secret in any answer.

The application runs on a real store in a temporary directory (``access_env``).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import re
import time
from pathlib import Path

import httpx
import pytest
from fastapi import Depends, FastAPI, WebSocket
from fastapi.routing import APIRoute

from access_env import ADMIN_PW, RULE_ID, Env, login, make_env, run
from ironwatch.auth.roles import LOGIN_ROLES, ROLES
from ironwatch.config import Settings
from ironwatch.core.access import ADMIN_PASSWORD_FILE, AccessService
from ironwatch.core.intake_client import IntakeClient
from ironwatch.store.hot import EventStore
from ironwatch.web.access import API_PREFIXES, PUBLIC, public
from ironwatch.web.app import create_app

#: every route anyone may call without logging in: login (API and page) and health (ours and
#: the HEC health check shippers probe). Static assets would join here; the pages have none.
PUBLIC_ROUTES = {("POST", "/api/v1/auth/login"), ("GET", "/login"), ("POST", "/login"), ("GET", "/api/v1/health"),
                 ("GET", "/services/collector/health"), ("GET", "/services/collector/health/1.0")}
EVIL = {"Origin": "https://evil.example"}


def declared_roles(route: APIRoute) -> frozenset[str] | None:
    """The roles a route admits (``require`` adds admin), or None when it declares none."""
    found = [tuple(roles) for dep in route.dependant.dependencies
             if (roles := getattr(dep.call, "roles", None)) is not None]
    assert len(found) <= 1, f"{route.path} declares its roles {len(found)} times: {found}"
    return frozenset(found[0]) if found else None


def role_table(app: FastAPI) -> list[tuple[APIRoute, frozenset[str]]]:
    """Every route with its roles; fails on a route the walk cannot call or that declares none."""
    table = []
    for route in app.routes:
        if not isinstance(route, APIRoute):
            pytest.fail(f"route {getattr(route, 'path', route)!r} is a {type(route).__name__}, which the access walk "
                        "does not know how to call: teach test_every_route_declares_its_roles_and_refuses_others "
                        "to prove that it refuses anonymous callers and wrong roles")
        roles = declared_roles(route)
        if roles is None:
            pytest.fail(f"route {sorted(route.methods)} {route.path} declares no roles: add Depends(require(...)) "
                        "or, for login, health and static assets only, Depends(public)")
        table.append((route, roles))
    return table


def public_routes(app: FastAPI) -> set[tuple[str, str]]:
    return {(m, route.path) for route, roles in role_table(app) if PUBLIC in roles for m in route.methods}


def _is_page(path: str) -> bool:
    return not (path.startswith(API_PREFIXES) or path == "/es")


def _refused_for_role(r: httpx.Response, role: str, method: str) -> bool:
    """403 from the role check itself (a HEAD answer has no body to say so)."""
    return r.status_code == 403 and (method == "HEAD" or f"role '{role}' may not do this" in r.text)


def test_every_route_declares_its_roles_and_refuses_others(env: Env) -> None:
    table = role_table(env.app)
    assert len(table) >= 40
    assert public_routes(env.app) == PUBLIC_ROUTES, "a route is public that should not be, or the reverse"
    sessions = {role: env.session(role) for role in LOGIN_ROLES}
    tried: list[tuple[str, str, str]] = []

    async def check() -> None:
        async with env.client() as c:
            for route, roles in table:
                path = re.sub(r"\{[^}]+\}", "x", route.path)
                for method in sorted(route.methods):
                    where = f"{method} {route.path}"
                    r = await c.request(method, path, follow_redirects=False)
                    if PUBLIC in roles:
                        assert r.status_code not in (303, 401, 403), (where, r.status_code)
                        continue
                    if _is_page(route.path):
                        assert r.status_code == 303 and r.headers["location"].startswith("/login"), where
                    else:
                        assert r.status_code == 401, (where, r.status_code)
                    for role in (ro for ro in ROLES if ro not in roles):
                        r = await c.request(method, path, headers={"Authorization": f"Bearer {env.tokens[role]}"},
                                            follow_redirects=False)
                        assert _refused_for_role(r, role, method), (where, "token", role, r.status_code, r.text)
                        tried.append((where, "token", role))
                        if role in sessions:
                            sid, csrf = sessions[role]
                            r = await c.request(method, path, headers={"Cookie": f"iw_session={sid}",
                                                                       "X-CSRF-Token": csrf}, follow_redirects=False)
                            assert _refused_for_role(r, role, method), (where, "session", role, r.status_code, r.text)
                            tried.append((where, "session", role))
    run(check())
    # the walk tried every wrong role, as a token and (people) as a session
    assert {role for _, kind, role in tried if kind == "token"} == set(ROLES) - {"admin"}
    assert {role for _, kind, role in tried if kind == "session"} == set(LOGIN_ROLES) - {"admin"}
    admin_only = {kind + ":" + role for where, kind, role in tried if where == "DELETE /api/v1/tokens/{token_id}"}
    assert admin_only == {"token:analyst", "token:viewer", "token:auditor", "token:ingest",
                          "session:analyst", "session:viewer", "session:auditor"}


def test_the_route_walk_fails_loudly_on_what_it_cannot_check(env: Env, tmp_path: Path) -> None:
    def fresh() -> FastAPI:
        return create_app(env.service, IntakeClient(tmp_path), 1 << 20)

    app = fresh()

    @app.websocket("/api/v1/live")
    async def live(ws: WebSocket) -> None:
        await ws.close()

    with pytest.raises(pytest.fail.Exception, match="WebSocketRoute, which the access walk does not know"):
        role_table(app)
    app = fresh()
    app.get("/api/v1/forgotten")(lambda: {})
    with pytest.raises(pytest.fail.Exception, match="/api/v1/forgotten declares no roles"):
        role_table(app)
    app = fresh()
    app.get("/api/v1/events-by-mistake", dependencies=[Depends(public)])(lambda: {})
    assert public_routes(app) - PUBLIC_ROUTES == {("GET", "/api/v1/events-by-mistake")}


#: what each person's role may do (the table in docs/access.md): (method, path, JSON body, roles that may)
ROLE_MATRIX = [
    ("GET", "/api/v1/status", None, {"admin", "analyst", "viewer", "auditor"}),
    ("GET", "/api/v1/sources", None, {"admin", "analyst", "viewer", "auditor"}),
    ("GET", "/api/v1/rules", None, {"admin", "analyst", "viewer", "auditor"}),
    ("GET", "/api/v1/detections", None, {"admin", "analyst", "viewer", "auditor"}),
    ("GET", "/api/v1/search?q=host.name:plc*", None, {"admin", "analyst", "auditor"}),
    ("GET", "/api/v1/audit", None, {"admin", "auditor"}),
    ("GET", "/api/v1/audit/verify", None, {"admin", "auditor"}),
    ("POST", f"/api/v1/rules/{RULE_ID}/disable", None, {"admin", "analyst"}),
    ("POST", f"/api/v1/rules/{RULE_ID}/enable", None, {"admin", "analyst"}),
    ("PUT", f"/api/v1/rules/{RULE_ID}/level", {"level": "high"}, {"admin", "analyst"}),
    ("POST", "/api/v1/rules/reload", None, {"admin", "analyst"}),
    ("GET", "/api/v1/users", None, {"admin"}),
    ("GET", "/api/v1/tokens", None, {"admin"}),
]


@pytest.mark.parametrize("role", LOGIN_ROLES)
def test_role_matrix_for_people(env: Env, role: str) -> None:
    env.add_rule()
    sid, csrf = env.session(role)

    async def go() -> dict[str, int]:
        codes = {}
        async with env.client(headers={"Cookie": f"iw_session={sid}", "X-CSRF-Token": csrf}) as c:
            for method, path, body, _ in ROLE_MATRIX:
                codes[f"{method} {path}"] = (await c.request(method, path, json=body)).status_code
        return codes

    codes = run(go())
    assert codes == {f"{m} {p}": 200 if role in may else 403 for m, p, _, may in ROLE_MATRIX}


def test_session_cookie_flags_csrf_and_logout(env: Env) -> None:
    async def go() -> None:
        async with env.client() as c:
            r = await c.post("/api/v1/auth/login", json={"username": "admin", "password": ADMIN_PW})
            cookies = r.headers.get_list("set-cookie")
            session = next(h for h in cookies if h.startswith("iw_session="))
            assert "HttpOnly" in session and "Secure" in session and "SameSite=strict" in session
            csrf = r.json()["csrf_token"]
            # state change without the CSRF token: refused; with it: done
            assert (await c.post("/api/v1/tokens", json={"name": "x", "role": "viewer"})).status_code == 403
            r = await c.post("/api/v1/tokens", json={"name": "x", "role": "viewer"}, headers={"X-CSRF-Token": csrf})
            assert r.status_code == 200
            # from another origin, even with a valid token: refused
            r = await c.post("/api/v1/tokens", json={"name": "y", "role": "viewer"},
                             headers={"X-CSRF-Token": csrf, **EVIL})
            assert r.status_code == 403
            assert (await c.get("/api/v1/auth/me")).status_code == 200
            assert (await c.post("/api/v1/auth/logout", headers={"X-CSRF-Token": csrf})).status_code == 200
            sid = session.split(";")[0].split("=", 1)[1]
            async with env.client(cookies={"iw_session": sid}) as c2:  # the old cookie is dead server-side
                assert (await c2.get("/api/v1/auth/me")).status_code == 401
    run(go())


def test_cross_site_form_posts_are_refused(env: Env) -> None:
    new_pw = "Chosen-by-the-attacker-1"

    async def go() -> None:
        async with env.client() as c:
            csrf = (await login(c))["csrf_token"]
            forms = {"/logout": {}, "/account/password": {"current_password": ADMIN_PW, "new_password": new_pw}}
            for path, form in forms.items():
                # a form another site makes the browser post: no token, a guessed one, and (the origin
                # check alone) even the right one
                for token, headers in ((None, EVIL), ("guessed", EVIL), (csrf, EVIL),
                                       (csrf, {"Referer": "https://evil.example/page"}), (None, {})):
                    data = {**form, **({"csrf_token": token} if token else {})}
                    r = await c.post(path, data=data, headers=headers, follow_redirects=False)
                    assert r.status_code == 403, (path, token, headers, r.status_code)
            assert (await c.get("/api/v1/auth/me")).status_code == 200  # still logged in
            # a cross-site login, as a form or as JSON: refused, and no session is made
            r = await c.post("/login", data={"username": "admin", "password": ADMIN_PW}, headers=EVIL,
                             follow_redirects=False)
            assert r.status_code == 403 and "iw_session" not in r.headers.get("set-cookie", "")
            r = await c.post("/api/v1/auth/login", json={"username": "admin", "password": ADMIN_PW}, headers=EVIL)
            assert r.status_code == 403 and "iw_session" not in r.headers.get("set-cookie", "")
            # the same form from this site, with its token, works
            r = await c.post("/logout", data={"csrf_token": csrf}, follow_redirects=False)
            assert r.status_code == 303 and (await c.get("/api/v1/auth/me")).status_code == 401

    before = env.access.audit.seq
    run(go())
    assert env.access.users.authenticate("admin", ADMIN_PW) is not None  # the password did not change
    actions = [f"{e['action']}:{e['outcome']}" for e in env.audit_since(before)]
    assert actions == ["auth.login:success", "auth.logout:success"]  # nothing refused got through


def test_login_page_form_flow_and_forced_password_change(env: Env) -> None:
    pw = env.access.user_add("admin", "test", "olga", "viewer", None)["one_time_password"]

    async def go() -> None:
        async with env.client() as c:
            r = await c.get("/", follow_redirects=False)
            assert r.status_code == 303 and r.headers["location"] == "/login?next=/"
            r = await c.post("/login", data={"username": "olga", "password": pw, "next": "/"}, follow_redirects=False)
            assert r.status_code == 303 and r.headers["location"] == "/account/password"
            assert (await c.get("/api/v1/status")).status_code == 403  # must change first
            page = (await c.get("/account/password")).text
            csrf = page.split('name="csrf_token" value="')[1].split('"')[0]
            r = await c.post("/account/password", data={"csrf_token": csrf, "current_password": pw,
                                                           "new_password": "short"}, follow_redirects=False)
            assert r.status_code == 400 and "too short" in r.text
            r = await c.post("/account/password", data={"csrf_token": csrf, "current_password": pw,
                                                          "new_password": "Viewer-of-the-plant-42"}, follow_redirects=False)
            assert r.status_code == 303
            assert (await c.get("/api/v1/status")).status_code == 200
            home = await c.get("/")
            assert home.status_code == 200 and "events_stored" in home.text
            assert "default-src 'none'" in home.headers["content-security-policy"]
    run(go())


def test_first_start_password_is_given_once_and_its_file_removed_after_the_change(tmp_path: Path) -> None:
    store = EventStore(tmp_path, Settings().store)
    access = AccessService(store.con, tmp_path, Settings())
    one_time = access.ensure_admin()
    pw_file = tmp_path / ADMIN_PASSWORD_FILE
    assert one_time and pw_file.read_text().strip() == one_time and pw_file.stat().st_mode & 0o777 == 0o600
    assert access.ensure_admin() is None and pw_file.exists()  # given once, kept until it is used
    _, who = access.login("admin", one_time, "127.0.0.1")
    assert who.must_change
    access.change_own_password(who, one_time, "Plant-operator-2026!", "127.0.0.1", None)
    assert not pw_file.exists() and access.ensure_admin() is None and not pw_file.exists()
    store.close()


def test_session_idle_and_absolute_expiry(env: Env) -> None:
    async def go() -> None:
        async with env.client() as c:
            await login(c)
            assert (await c.get("/api/v1/auth/me")).status_code == 200
            env.access.sessions.idle_us = 1
            time.sleep(0.01)
            assert (await c.get("/api/v1/auth/me")).status_code == 401
            env.access.sessions.idle_us = 3_600_000_000
            await login(c)
            env.access.sessions.absolute_us = 1
            time.sleep(0.01)
            assert (await c.get("/api/v1/auth/me")).status_code == 401
    run(go())


def test_token_expiry_revocation_and_last_used(env: Env) -> None:
    async def go() -> None:
        made = env.access.token_create("test", "test", "short-lived", "viewer", "1s")
        async with env.client(headers={"Authorization": f"Bearer {made['token']}"}) as c:
            assert (await c.get("/api/v1/status")).status_code == 200
            await asyncio.sleep(1.2)
            env.access._forget_tokens()
            assert (await c.get("/api/v1/status")).status_code == 401
        made = env.access.token_create("test", "test", "to revoke", "viewer", None)
        async with env.client(headers={"Authorization": f"Bearer {made['token']}"}) as c:
            assert (await c.get("/api/v1/status")).status_code == 200
            env.access.token_revoke("test", "test", made["id"])
            assert (await c.get("/api/v1/status")).status_code == 401
        listed = {t["id"]: t for t in env.access.tokens.list()}
        assert listed[made["id"]]["state"] == "revoked" and listed[made["id"]]["last_used"]
    run(go())


def test_lockout_per_user_and_address_with_self_events(env: Env) -> None:
    async def go() -> None:
        async with env.client() as c:
            for _ in range(5):
                r = await c.post("/api/v1/auth/login", json={"username": "admin", "password": "wrong-password-1"})
            assert r.status_code == 429 and int(r.headers["retry-after"]) >= 1
            r = await c.post("/api/v1/auth/login", json={"username": "admin", "password": ADMIN_PW})
            assert r.status_code == 429  # even the right password, from this address
        async with env.client("10.1.1.1") as c:  # the real admin elsewhere is not locked out
            assert (await login(c))["user"] == "admin"
    run(go())
    actions = [a for a, _ in env.events]
    assert actions.count("login-failure") == 5 and actions.count("login-lockout") == 1
    assert env.events[-1][1]["user"] == "admin" and env.events[-1][1]["address"] == "10.9.8.7"
    audit = [e["action"] + ":" + e["outcome"] for e in env.access.audit.list(50)]
    assert "auth.lockout:success" in audit and "auth.login:refused" in audit and "auth.login:success" in audit


def test_rate_limits_per_token_and_address(tmp_path: Path) -> None:
    env = make_env(tmp_path, rate_per_token=2.0, rate_per_address=2.0, rate_per_ingest_token=3.0)

    async def go() -> None:
        async with env.client(headers={"Authorization": f"Bearer {env.tokens['viewer']}"}) as c:
            codes = [(await c.get("/api/v1/status")).status_code for _ in range(12)]
            assert codes[:8] == [200] * 8 and 429 in codes
        # ingest tokens have their own, separate limit (shippers send many small batches);
        # the limit applies before the role check, so the wrong-role answers count too
        async with env.client(headers={"Authorization": f"Bearer {env.tokens['ingest']}"}) as c:
            codes = [(await c.get("/api/v1/status")).status_code for _ in range(16)]
            assert codes[:12] == [403] * 12 and codes[-1] == 429
        async with env.client() as c:
            codes = [(await c.get("/api/v1/health")).status_code for _ in range(12)]
            assert 429 in codes
    run(go())


def test_no_secret_in_any_answer_or_audit_entry(env: Env) -> None:
    async def go() -> tuple[str, list[str], list[str]]:
        bodies, sids = [], []
        async with env.client() as c:
            r = await c.post("/api/v1/auth/login", json={"username": "admin", "password": ADMIN_PW})
            bodies.append(r.text)
            csrf = r.json()["csrf_token"]
            sids.append(c.cookies["iw_session"])
            h = {"X-CSRF-Token": csrf}
            made = (await c.post("/api/v1/tokens", json={"name": "ship", "role": "ingest"}, headers=h)).json()
            r = await c.post("/api/v1/users", json={"name": "carl", "role": "analyst",
                                                    "password": "Analyst-on-shift-77"}, headers=h)
            assert r.status_code == 200, r.text
            bodies.append(r.text)
            r = await c.post("/api/v1/auth/password", json={"current_password": ADMIN_PW,
                                                           "new_password": "Second-admin-secret-8"}, headers=h)
            bodies.append(r.text)
            for path in ("/api/v1/users", "/api/v1/tokens", "/api/v1/audit", "/api/v1/auth/me", "/"):
                bodies.append((await c.get(path)).text)
        async with env.client() as c:
            bodies.append(json.dumps(await login(c, "carl", "Analyst-on-shift-77")))
            sids.append(c.cookies["iw_session"])
            bodies.append((await c.get("/account/password")).text)
        return made["token"], bodies, sids

    token, bodies, sids = run(go())
    text = "\n".join(bodies)
    audit = json.dumps(env.access.audit.list(1000))
    password_hashes = [r[0] for r in env.store.con.execute("SELECT password_hash FROM users").fetchall()]
    assert password_hashes and all(h.startswith("$argon2id$") for h in password_hashes)
    token_hashes = [r[0] for r in env.store.con.execute("SELECT token_hash FROM api_tokens").fetchall()]
    session_hashes = [hashlib.sha256(s.encode()).hexdigest() for s in sids]
    assert {r[0] for r in env.store.con.execute("SELECT id_hash FROM sessions").fetchall()} >= set(session_hashes)
    secrets = [*password_hashes, *token_hashes, *sids, *session_hashes, ADMIN_PW, "Second-admin-secret-8",
               "Analyst-on-shift-77", token, *env.tokens.values()]
    for secret in secrets:
        assert secret not in text and secret not in audit, secret[:12]
    assert "$argon2" not in text and "$argon2" not in audit
    assert "ship" in audit and "carl" in audit  # the actions themselves are there
