"""Access control on a real server: first-start admin, HTTPS login, forced password change,
lockout events in the store, CLI user/token/audit/dead-letter commands through the socket, no
secret in any log, answer or audit entry, and what a restart prints and records.

The tests share one server and run in order (the last one restarts it).
"""

from __future__ import annotations

import json
import socket
import ssl
import subprocess
from pathlib import Path
from typing import Any

import httpx
import pytest

from ironwatch.auth.directory import token_hash
from ironwatch.core.access import local_actor

from .helpers import rpc_search, rpc_status, wait_for
from .server import ServerProcess, ironwatch_cmd

WRONG = "Wrong-password-do-not-log-7"
ADMIN_NEW = "Plant-operator-2026!"
#: session cookies and API tokens the tests saw, for the secrets check
SEEN: dict[str, list[str]] = {"sessions": [], "tokens": []}


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
        SEEN["sessions"].append(c.cookies["iw_session"])
        r = c.post("/api/v1/auth/password", json={"current_password": one_time, "new_password": ADMIN_NEW},
                   headers={"X-CSRF-Token": csrf})
        assert r.status_code == 200
        assert not pw_file.exists()  # the one-time password has served its purpose
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
        r = c.post("/api/v1/auth/login", json={"username": "admin", "password": ADMIN_NEW})
        assert r.status_code == 200
        SEEN["sessions"].append(c.cookies["iw_session"])


def cli(srv: ServerProcess, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(ironwatch_cmd(*args[:2], "--data-dir", str(srv.data_dir), *args[2:]), input=stdin,
                          capture_output=True, text=True, timeout=60)


def test_cli_through_the_socket_is_audited_as_local_user(srv: ServerProcess) -> None:
    r = cli(srv, "user", "add", "carol", "--role", "analyst", "--output", "json")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["one_time_password"]
    r = cli(srv, "token", "create", "--name", "vector on hist01", "--role", "ingest", "--expires", "30d", "--output", "json")
    token = json.loads(r.stdout)["token"]
    SEEN["tokens"].append(token)
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


def head_seq(srv: ServerProcess) -> int:
    return int(json.loads((srv.data_dir / "audit-head.json").read_text())["seq"])


def audit_since(srv: ServerProcess, seq: int) -> list[dict[str, Any]]:
    """Audit entries after ``seq``, oldest first, without the reads of the trail itself."""
    r = cli(srv, "audit", "list", "--output", "json", "--limit", "100000")
    assert r.returncode == 0, r.stderr
    entries = [json.loads(x) for x in r.stdout.splitlines()]
    return sorted((e for e in entries if e["seq"] > seq and e["action"] != "audit.read"), key=lambda e: e["seq"])


def login_status(srv: ServerProcess, user: str, password: str) -> tuple[int, str | None]:
    with client(srv) as c:
        r = c.post("/api/v1/auth/login", json={"username": user, "password": password})
        return r.status_code, c.cookies.get("iw_session")


def test_user_and_token_commands_through_the_socket(srv: ServerProcess) -> None:
    seq = head_seq(srv)
    r = cli(srv, "user", "add", "ivan", "--role", "viewer", "--password-stdin", "--output", "json",
            stdin="Watching-the-line-41\n")
    assert r.returncode == 0 and "one_time_password" not in json.loads(r.stdout), r.stderr
    status, sid = login_status(srv, "ivan", "Watching-the-line-41")
    assert status == 200 and sid
    SEEN["sessions"].append(sid)
    listed = {u["name"]: u for u in map(json.loads, cli(srv, "user", "list", "--output", "json").stdout.splitlines())}
    assert listed["ivan"]["role"] == "viewer" and listed["admin"]["must_change_password"] is False
    assert cli(srv, "user", "role", "ivan", "auditor").returncode == 0
    r = cli(srv, "user", "passwd", "ivan", "--password-stdin", "--output", "json", stdin="Second-shift-watch-52\n")
    assert json.loads(r.stdout) == {"name": "ivan", "must_change_password": True}
    with client(srv) as c:  # the reset ended ivan's session
        assert c.get("/api/v1/auth/me", headers={"Cookie": f"iw_session={sid}"}).status_code == 401
    assert login_status(srv, "ivan", "Watching-the-line-41")[0] == 401
    status, sid = login_status(srv, "ivan", "Second-shift-watch-52")
    assert status == 200 and sid
    SEEN["sessions"].append(sid)
    assert cli(srv, "user", "disable", "ivan").returncode == 0
    with client(srv) as c:  # disabling ended it too, and no new one starts
        assert c.get("/api/v1/auth/me", headers={"Cookie": f"iw_session={sid}"}).status_code == 401
    assert login_status(srv, "ivan", "Second-shift-watch-52")[0] == 401
    made = json.loads(cli(srv, "token", "create", "--name", "report script", "--role", "viewer", "--output",
                          "json").stdout)
    SEEN["tokens"].append(made["token"])
    with client(srv) as c:
        bearer = {"Authorization": f"Bearer {made['token']}"}
        assert c.get("/api/v1/status", headers=bearer).status_code == 200
        r = cli(srv, "token", "revoke", made["id"], "--output", "json")
        assert json.loads(r.stdout) == {"id": made["id"], "name": "report script", "role": "viewer"}
        assert c.get("/api/v1/status", headers=bearer).status_code == 401
    tokens = [json.loads(x) for x in cli(srv, "token", "list", "--output", "json").stdout.splitlines()]
    assert next(t for t in tokens if t["id"] == made["id"])["state"] == "revoked"
    by_cli = [(e["action"], e["target"]) for e in audit_since(srv, seq) if e["source"] == "unix-socket"]
    assert by_cli == [("user.add", "ivan"), ("user.role", "ivan"), ("user.passwd", "ivan"), ("user.disable", "ivan"),
                      ("token.create", made["id"]), ("token.revoke", made["id"])]
    assert {e["actor"] for e in audit_since(srv, seq) if e["source"] == "unix-socket"} == {local_actor()}


def test_deadletter_replay_through_the_socket_is_audited(srv: ServerProcess) -> None:
    with socket.create_connection(("127.0.0.1", srv.tcp)) as s:
        s.sendall(b"\xde\xad\xbe\xef not syslog at all\n")
    wait_for(lambda: rpc_status(srv), lambda st: st["dead_letters"] >= 1, 30, what="a dead letter")
    seq = head_seq(srv)
    replay = json.loads(srv.cli("deadletter", "replay", "--output", "json").stdout)
    assert replay["examined"] >= 1 and replay["still_failing"] >= 1
    [entry] = [e for e in audit_since(srv, seq) if e["action"] == "deadletter.replay"]
    assert entry["actor"] == local_actor() and entry["source"] == "unix-socket" and entry["details"] == replay


def test_no_secret_in_the_server_log_answers_or_audit_trail(srv: ServerProcess) -> None:
    answers = []
    with client(srv, "127.0.0.2") as c:  # admin is locked out from 127.0.0.1 (test_lockout_…)
        r = c.post("/api/v1/auth/login", json={"username": "admin", "password": ADMIN_NEW})
        assert r.status_code == 200, r.text
        answers.append(r.text)
        SEEN["sessions"].append(c.cookies["iw_session"])
        for path in ("/api/v1/users", "/api/v1/tokens", "/api/v1/audit?limit=10000", "/api/v1/auth/me", "/"):
            answers.append(c.get(path).text)
    text = "\n".join(answers)
    trail = cli(srv, "audit", "list", "--output", "json", "--limit", "100000").stdout
    log = Path(srv.log).read_text(errors="replace")
    sessions, tokens = SEEN["sessions"], SEEN["tokens"]
    assert len(sessions) >= 4 and len(tokens) >= 2
    hashed = [token_hash(s) for s in [*sessions, *tokens, srv.token]]  # how sessions and tokens are stored
    for where, content in (("log", log), ("answers", text), ("audit trail", trail)):
        assert "$argon2" not in content, where
        for secret in [*sessions, *tokens, *hashed, ADMIN_NEW, WRONG, "Watching-the-line-41", "Second-shift-watch-52"]:
            assert secret not in content, (where, secret[:10])
    # the first-start ingest token is printed once, by design, and appears nowhere else
    assert log.count(srv.token) == 1 and srv.token not in text and srv.token not in trail


def test_restart_prints_no_password_and_records_the_config_change(srv: ServerProcess) -> None:
    [line] = [x for x in Path(srv.log).read_text().splitlines() if "one-time password" in x]
    one_time = line.rsplit(": ", 1)[1]
    seq = head_seq(srv)
    srv.stop()
    srv.config = "auth:\n  lockout_failures: 4\n  session_idle: 10m\nselfmon:\n  interval_s: 1\n"
    srv.start()
    log = Path(srv.log).read_text()
    assert log.count(one_time) == 1 and log.count("created user 'admin'") == 1  # printed once, at first start
    assert not (srv.data_dir / "admin.password").exists()
    [change] = [e for e in audit_since(srv, seq) if e["action"] == "config.change"]
    assert change["actor"] == local_actor() and change["source"] == "serve"
    assert change["details"]["changed"] == [{"setting": "auth.lockout_failures", "old": 3, "new": 4},
                                            {"setting": "auth.session_idle", "old": "30m", "new": "10m"}]
    assert json.loads(cli(srv, "audit", "verify", "--output", "json").stdout)["verified"] is True
