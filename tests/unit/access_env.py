"""The web application on a real store in a temporary directory, for the access and audit
tests: an admin, one API token per role, sessions per human role, a Sigma rule on demand.

Only the intake is absent (ingest answers 503), which these tests do not need.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import httpx

from ironwatch.config import Settings
from ironwatch.core.access import AccessService
from ironwatch.core.intake_client import IntakeClient
from ironwatch.core.service import CoreService
from ironwatch.store.hot import EventStore
from ironwatch.util.counters import core_counters
from ironwatch.web.app import create_app

ADMIN_PW = "Correct-horse-battery-9"
BASE = "https://ironwatch.test"
CLIENT = "10.9.8.7"
RULE_ID = "0a0a0a0a-1111-4222-8333-444444444444"
RULE = f"""\
title: Sudo to root shell
id: {RULE_ID}
status: experimental
level: medium
logsource: {{product: linux, service: sudo}}
detection:
    keywords: ['COMMAND=/bin/bash']
    condition: keywords
"""


class Env:
    def __init__(self, tmp: Path, settings: Settings) -> None:
        self.tmp = tmp
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

    def client(self, address: str = CLIENT, **kw: Any) -> httpx.AsyncClient:
        return httpx.AsyncClient(transport=httpx.ASGITransport(app=self.app, client=(address, 5555)),
                                 base_url=BASE, **kw)

    def session(self, role: str) -> tuple[str, str]:
        """(cookie value, CSRF token) of a new session of a user with ``role`` (created once)."""
        name = "admin" if role == "admin" else f"{role}-user"
        if self.access.users.get(name) is None:
            self.access.users.add(name, role, ADMIN_PW, must_change=False, created_by="test")
        sid, session = self.access.sessions.create(name, CLIENT)
        return sid, session.csrf

    def add_rule(self) -> None:
        """One Sigma rule in ``DATA/rules`` (the default rule folder), id ``RULE_ID``."""
        (self.tmp / "rules").mkdir(exist_ok=True)
        (self.tmp / "rules" / "sudo.yml").write_text(RULE)

    def audit_since(self, seq: int) -> list[dict[str, Any]]:
        """Audit entries after ``seq``, oldest first."""
        return sorted((e for e in self.access.audit.list(100_000) if e["seq"] > seq), key=lambda e: e["seq"])


def make_env(tmp: Path, **auth: Any) -> Env:
    s = Settings()
    s.data_dir = str(tmp)
    s.auth.rate_per_address = 1000.0
    for name, value in auth.items():
        setattr(s.auth, name, value)
    return Env(tmp, s)


def run(coro: Any) -> Any:
    return asyncio.run(coro)


async def login(c: httpx.AsyncClient, user: str = "admin", password: str = ADMIN_PW) -> dict[str, Any]:
    r = await c.post("/api/v1/auth/login", json={"username": user, "password": password})
    assert r.status_code == 200, r.text
    result: dict[str, Any] = r.json()
    return result
