"""Access control over HTTP, in-process: every route declares its roles, sessions, CSRF,
cookie flags, expiry, tokens, lockout, rate limits, and no secret in any answer.

The application runs on a real store in a temporary directory; only the intake is absent
(ingest answers 503), which these tests do not need.
"""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.routing import APIRoute

from ironwatch.config import Settings
from ironwatch.core.access import AccessService
from ironwatch.core.intake_client import IntakeClient
from ironwatch.core.service import CoreService
from ironwatch.store.hot import EventStore
from ironwatch.util.counters import core_counters
from ironwatch.web.app import create_app
from ironwatch.web.access import API_PREFIXES

ADMIN_PW = "Correct-horse-battery-9"
BASE = "https://ironwatch.test"


class Env:
    def __init__(self, tmp: Path, settings: Settings) -> None:
        self.store = EventStore(tmp, settings.store)
        self.events: list[tuple[str, dict[str, Any]]] = []
        self.access = AccessService(self.store.con, tmp, settings,
                                    lambda action, message, **f: self.events.append((action, f)))
        self.service = CoreService(settings, self.store, core_counters(tmp, create=True), self.access)
        self.app = create_app(self.service, IntakeClient(tmp), 1 << 20)
        self.tokens: dict[str, str] = {}
        self.access.users.add("admin", "admin", ADMIN_PW, must_change=False, created_by="test")
        for role in ("analyst", "viewer", "auditor", "ingest", "admin"):
            self.tokens[role] = self.access.token_create("test", "test", f"{role} token", role, None)["token"]

    def client(self, **kw: Any) -> httpx.AsyncClient:
        return httpx.AsyncClient(transport=httpx.ASGITransport(app=self.app, client=("10.9.8.7", 5555)),
                                 base_url=BASE, **kw)


@pytest.fixture
def env(tmp_path: Path) -> Env:
    s = Settings()
    s.data_dir = str(tmp_path)
    s.auth.rate_per_address = 1000.0
    return Env(tmp_path, s)


def run(coro: Any) -> Any:
    return asyncio.run(coro)


def declared_roles(route: APIRoute) -> tuple[str, ...] | None:
    for dep in route.dependant.dependencies:
        roles = getattr(dep.call, "roles", None)
        if roles is not None:
            return tuple(roles)
    return None


def _path(route: APIRoute) -> str:
    return route.path.replace("{name}", "someone").replace("{token_id}", "nope").replace("{index}", "idx")


def test_every_route_declares_its_roles_and_refuses_others(env: Env) -> None:
    routes = [r for r in env.app.routes if isinstance(r, APIRoute)]
    assert len(routes) >= 15 and len(routes) == len(env.app.routes), "every route must be an APIRoute with roles"
    undeclared = [r.path for r in routes if declared_roles(r) is None]
    assert undeclared == [], f"routes without a role declaration: {undeclared}"

    async def check() -> None:
        async with env.client() as c:
            for route in routes:
                roles = declared_roles(route) or ()
                for method in route.methods:
                    if "public" in roles:
                        continue
                    r = await c.request(method, _path(route), follow_redirects=False)
                    page = not (route.path.startswith(API_PREFIXES) or route.path == "/es")
                    if page:
                        assert r.status_code == 303 and r.headers["location"].startswith("/login"), (method, route.path)
                    else:
                        assert r.status_code == 401, (method, route.path, r.status_code)
                    wrong = next((role for role in ("ingest", "viewer", "analyst", "auditor") if role not in roles), None)
                    if wrong is None:
                        continue
                    r = await c.request(method, _path(route), headers={"Authorization": f"Bearer {env.tokens[wrong]}"},
                                        follow_redirects=False)
                    assert r.status_code == 403, (method, route.path, wrong, r.status_code)
    run(check())


async def login(c: httpx.AsyncClient, user: str = "admin", password: str = ADMIN_PW) -> dict[str, Any]:
    r = await c.post("/api/v1/auth/login", json={"username": user, "password": password})
    assert r.status_code == 200, r.text
    return r.json()


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
            # a cross-site form post, even with a valid token, is refused
            r = await c.post("/api/v1/tokens", json={"name": "y", "role": "viewer"},
                             headers={"X-CSRF-Token": csrf, "Origin": "https://evil.example"})
            assert r.status_code == 403
            r = await c.post("/logout", data={"csrf_token": "wrong"}, headers={"Origin": "https://evil.example"})
            assert r.status_code == 403
            assert (await c.get("/api/v1/auth/me")).status_code == 200
            assert (await c.post("/api/v1/auth/logout", headers={"X-CSRF-Token": csrf})).status_code == 200
            sid = session.split(";")[0].split("=", 1)[1]
            async with env.client(cookies={"iw_session": sid}) as c2:  # the old cookie is dead server-side
                assert (await c2.get("/api/v1/auth/me")).status_code == 401
    run(go())


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
        other = httpx.AsyncClient(transport=httpx.ASGITransport(app=env.app, client=("10.1.1.1", 4444)), base_url=BASE)
        async with other as c:  # the real admin elsewhere is not locked out
            assert (await login(c))["user"] == "admin"
    run(go())
    actions = [a for a, _ in env.events]
    assert actions.count("login-failure") == 5 and actions.count("login-lockout") == 1
    assert env.events[-1][1]["user"] == "admin" and env.events[-1][1]["address"] == "10.9.8.7"
    audit = [e["action"] + ":" + e["outcome"] for e in env.access.audit.list(50)]
    assert "auth.lockout:success" in audit and "auth.login:refused" in audit and "auth.login:success" in audit


def test_rate_limits_per_token_and_address(tmp_path: Path) -> None:
    s = Settings()
    s.data_dir = str(tmp_path)
    s.auth.rate_per_token = 2.0
    s.auth.rate_per_address = 2.0
    s.auth.rate_per_ingest_token = 3.0
    env = Env(tmp_path, s)

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
    async def go() -> str:
        bodies = []
        async with env.client() as c:
            csrf = (await login(c))["csrf_token"]
            h = {"X-CSRF-Token": csrf}
            made = (await c.post("/api/v1/tokens", json={"name": "ship", "role": "ingest"}, headers=h)).json()
            bodies.append(json.dumps(made))
            r = await c.post("/api/v1/users", json={"name": "carl", "role": "analyst",
                                                    "password": "Carl-the-analyst-77"}, headers=h)
            bodies.append(r.text)
            for path in ("/api/v1/users", "/api/v1/tokens", "/api/v1/audit", "/api/v1/auth/me"):
                bodies.append((await c.get(path)).text)
            return made["token"] + "\n" + "\n".join(bodies)
    token, text = run(go()).split("\n", 1)
    hashes = [r[0] for r in env.store.con.execute("SELECT password_hash FROM users").fetchall()]
    token_hashes = [r[0] for r in env.store.con.execute("SELECT token_hash FROM api_tokens").fetchall()]
    audit = json.dumps(env.access.audit.list(1000))
    for secret in [*hashes, *token_hashes, ADMIN_PW, "Carl-the-analyst-77", *env.tokens.values()]:
        assert secret not in text and secret not in audit
    assert token not in text.split(token, 1)[1] if text.count(token) else True  # shown once, at creation
    assert token not in audit


def test_audit_trail_records_actions_and_detects_tampering(env: Env) -> None:
    from ironwatch.errors import IntegrityError
    from ironwatch.store.audit import verify_trail

    env.access.user_role("admin", "cli", "admin", "admin")
    pem = env.access.signer.public_pem()
    head = verify_trail(env.store.con, pem)["head"]
    env.access.record("local:root", "unix-socket", "search", details={"query": "host.name:plc*"})
    env.access.record("local:root", "unix-socket", "search", details={"query": "x"})
    assert verify_trail(env.store.con, pem, expect_head=head)["verified"]
    # edit an entry: named
    env.store.con.execute("UPDATE audit_log SET actor = 'mallory' WHERE seq = 3")
    with pytest.raises(IntegrityError, match="audit entry 3"):
        verify_trail(env.store.con, pem)
    env.store.con.execute("UPDATE audit_log SET actor = 'test' WHERE seq = 3")
    # delete one in the middle: named
    cols = "seq, epoch_us(ts), actor, source, action, target, outcome, details, link"
    row = env.store.con.execute(f"SELECT {cols} FROM audit_log WHERE seq = 4").fetchall()[0]
    env.store.con.execute("DELETE FROM audit_log WHERE seq = 4")
    with pytest.raises(IntegrityError, match="entry 4 is missing"):
        verify_trail(env.store.con, pem)
    env.store.con.execute("INSERT INTO audit_log VALUES (?, make_timestamptz(?), ?, ?, ?, ?, ?, ?, ?)", list(row))
    assert verify_trail(env.store.con, pem)["verified"]
    # delete the newest entries and forge the head: only an earlier head catches it
    last = env.access.audit.seq
    env.store.con.execute("DELETE FROM audit_log WHERE seq > ?", [last - 2])
    rows = env.store.con.execute("SELECT seq, link FROM audit_log ORDER BY seq DESC LIMIT 1").fetchall()
    sig = env.access.signer.sign(f"{rows[0][0]}:{rows[0][1]}".encode()).hex()
    env.store.con.execute("UPDATE audit_head SET seq = ?, link = ?, signature = ?", [rows[0][0], rows[0][1], sig])
    assert verify_trail(env.store.con, pem)["verified"]
    later_head = f"{last}:{env.access.audit.head.hex()}"
    with pytest.raises(IntegrityError, match="not in the audit trail"):
        verify_trail(env.store.con, pem, expect_head=later_head)


def test_every_action_leaves_exactly_one_entry(env: Env) -> None:
    async def go() -> None:
        async with env.client() as c:
            r = await c.post("/api/v1/auth/login", json={"username": "admin", "password": "not-it-at-all-1"})
            assert r.status_code == 401
            csrf = (await login(c))["csrf_token"]
            h = {"X-CSRF-Token": csrf}
            assert (await c.get("/api/v1/search", params={"q": "host.name:hmi*"})).status_code == 200
            assert (await c.post("/api/v1/users", json={"name": "dan", "role": "viewer"}, headers=h)).status_code == 200
            assert (await c.patch("/api/v1/users/dan", json={"role": "analyst"}, headers=h)).status_code == 200
            assert (await c.patch("/api/v1/users/dan", json={"disabled": True}, headers=h)).status_code == 200
            assert (await c.post("/api/v1/users/dan/password", json={}, headers=h)).status_code == 200
            tok = (await c.post("/api/v1/tokens", json={"name": "t", "role": "ingest"}, headers=h)).json()
            assert (await c.delete(f"/api/v1/tokens/{tok['id']}", headers=h)).status_code == 200
            assert (await c.get("/api/v1/audit")).status_code == 200
            assert (await c.post("/api/v1/auth/logout", headers=h)).status_code == 200
    before = {e["seq"] for e in env.access.audit.list(1000)}
    run(go())
    new = [e for e in env.access.audit.list(1000) if e["seq"] not in before]
    counts: dict[str, int] = {}
    for e in new:
        key = f"{e['action']}:{e['outcome']}"
        counts[key] = counts.get(key, 0) + 1
    assert counts == {"auth.login:failure": 1, "auth.login:success": 1, "search:success": 1, "user.add:success": 1,
                      "user.role:success": 1, "user.disable:success": 1, "user.passwd:success": 1,
                      "token.create:success": 1, "token.revoke:success": 1, "audit.read:success": 1,
                      "auth.logout:success": 1}
    search = next(e for e in new if e["action"] == "search")
    assert search["actor"] == "admin" and search["source"] == "10.9.8.7" and search["details"]["query"] == "host.name:hmi*"
