"""Access control on a real server: first-start admin, HTTPS login, forced password change,
lockout events in the store, CLI user/token/audit through the socket, no secret in any log."""

from __future__ import annotations

import json
import ssl
import subprocess
from pathlib import Path

import httpx
import pytest

from .helpers import rpc_search, wait_for
from .server import ServerProcess, ironwatch_cmd

WRONG = "Wrong-password-do-not-log-7"


@pytest.fixture(scope="module")
def srv(tmp_path_factory: pytest.TempPathFactory) -> ServerProcess:
    s = ServerProcess(tmp_path_factory.mktemp("access") / "data",
                      config="auth:\n  lockout_failures: 3\nselfmon:\n  interval_s: 1\n").start()
    yield s
    s.stop()


def client(srv: ServerProcess, source: str = "127.0.0.1") -> httpx.Client:
    """An HTTPS client trusting the server's certificate, connecting from ``source``."""
    ctx = ssl.create_default_context(cafile=str(srv.data_dir / "tls" / "ironwatch.crt"))
    return httpx.Client(base_url=f"https://127.0.0.1:{srv.http}", timeout=30,
                        transport=httpx.HTTPTransport(verify=ctx, local_address=source))


def test_first_start_admin_must_change_password(srv: ServerProcess) -> None:
    pw_file = srv.data_dir / "admin.password"
    assert pw_file.stat().st_mode & 0o777 == 0o600
    one_time = pw_file.read_text().strip()
    with client(srv) as c:
        r = c.post("/api/v1/auth/login", json={"username": "admin", "password": one_time})
        assert r.status_code == 200 and r.json()["must_change_password"] is True
        csrf = r.json()["csrf_token"]
        assert c.get("/api/v1/status").status_code == 403
        r = c.post("/api/v1/auth/password", json={"current_password": one_time, "new_password": "Plant-operator-2026!"},
                   headers={"X-CSRF-Token": csrf})
        assert r.status_code == 200
        assert c.get("/api/v1/status").json()["server"] == "running"
        assert c.get("/api/v1/search", params={"q": "anything"}).status_code == 200


def test_lockout_reaches_the_store_as_self_events(srv: ServerProcess) -> None:
    with client(srv) as c:
        codes = [c.post("/api/v1/auth/login", json={"username": "admin", "password": WRONG}).status_code
                 for _ in range(4)]
    assert codes[:2] == [401, 401] and codes[2:] == [429, 429]
    events = wait_for(lambda: rpc_search(srv, "event.dataset:ironwatch.self event.action:login-lockout"),
                      lambda evs: len(evs) >= 1, 20, what="login-lockout self event")
    assert events[0]["user.name"] == "admin" and events[0]["source.ip"] == "127.0.0.1"
    assert events[0]["event.category"] == ["authentication"] or events[0]["event.category"] == "authentication"
    failures = rpc_search(srv, "event.action:login-failure")
    assert len(failures) >= 2
    with client(srv, "127.0.0.2") as c:  # the same user elsewhere is not locked out
        r = c.post("/api/v1/auth/login", json={"username": "admin", "password": "Plant-operator-2026!"})
        assert r.status_code == 200


def cli(srv: ServerProcess, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(ironwatch_cmd(*args[:2], "--data-dir", str(srv.data_dir), *args[2:]), input=stdin,
                          capture_output=True, text=True, timeout=60)


def test_cli_through_the_socket_is_audited_as_local_user(srv: ServerProcess) -> None:
    r = cli(srv, "user", "add", "carol", "--role", "analyst", "--output", "json")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["one_time_password"]
    r = cli(srv, "token", "create", "--name", "vector on hist01", "--role", "ingest", "--expires", "30d", "--output", "json")
    token = json.loads(r.stdout)["token"]
    r = cli(srv, "token", "list", "--output", "json")
    assert token not in r.stdout and "vector on hist01" in r.stdout
    srv.cli("search", "host.name:plc*")
    r = cli(srv, "audit", "list", "--output", "json", "--limit", "200")
    entries = [json.loads(x) for x in r.stdout.splitlines()]
    by_action: dict[str, dict] = {}
    for e in entries:  # newest first: keep each action's newest entry
        by_action.setdefault(e["action"], e)
    assert by_action["user.add"]["actor"].startswith("local:") and by_action["user.add"]["source"] == "unix-socket"
    assert by_action["search"]["details"]["query"] == "host.name:plc*"
    assert {"auth.login", "auth.lockout", "user.passwd", "token.create"} <= set(by_action)
    r = cli(srv, "audit", "verify", "--output", "json", "--expect-head",
            json.loads((srv.data_dir / "audit-head.json").read_text())["head"])
    assert r.returncode == 0 and json.loads(r.stdout)["verified"] is True
    log = Path(srv.log).read_text()
    assert token not in log and WRONG not in log
    assert WRONG not in json.dumps(rpc_search(srv, "", limit=10_000))
