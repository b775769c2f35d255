"""The audit trail, in-process: every audited action leaves exactly one entry, a change and its
entry commit together, tampering is named, and configuration changes are recorded at start."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from access_env import CLIENT, RULE_ID, Env, login, run
from ironwatch.config import Settings
from ironwatch.core.access import AccessService, local_actor
from ironwatch.core.config_audit import changes, effective_settings
from ironwatch.errors import IntegrityError, StoreError
from ironwatch.store.audit import verify_trail
from ironwatch.store.hot import EventStore


def tally(entries: list[dict[str, Any]]) -> dict[str, int]:
    """``action:outcome:target`` → how many entries."""
    counts: dict[str, int] = {}
    for e in entries:
        key = f"{e['action']}:{e['outcome']}:{e['target'] or ''}"
        counts[key] = counts.get(key, 0) + 1
    return counts


def test_every_action_leaves_exactly_one_entry(env: Env) -> None:
    env.add_rule()
    rules = f"/api/v1/rules/{RULE_ID}"

    async def go() -> None:
        async with env.client() as c:
            r = await c.post("/api/v1/auth/login", json={"username": "admin", "password": "not-it-at-all-1"})
            assert r.status_code == 401
            h = {"X-CSRF-Token": (await login(c))["csrf_token"]}
            assert (await c.get("/api/v1/search", params={"q": "host.name:hmi*"})).status_code == 200
            assert (await c.post("/api/v1/users", json={"name": "dan", "role": "viewer"}, headers=h)).status_code == 200
            assert (await c.patch("/api/v1/users/dan", json={"role": "analyst"}, headers=h)).status_code == 200
            assert (await c.patch("/api/v1/users/dan", json={"disabled": True}, headers=h)).status_code == 200
            assert (await c.post("/api/v1/users/dan/password", json={}, headers=h)).status_code == 200
            tok = (await c.post("/api/v1/tokens", json={"name": "t", "role": "ingest"}, headers=h)).json()
            assert (await c.delete(f"/api/v1/tokens/{tok['id']}", headers=h)).status_code == 200
            assert (await c.get("/api/v1/audit")).status_code == 200
            assert (await c.post(f"{rules}/disable", headers=h)).status_code == 200
            assert (await c.post(f"{rules}/enable", headers=h)).status_code == 200
            assert (await c.put(f"{rules}/level", json={"level": "high"}, headers=h)).status_code == 200
            assert (await c.post("/api/v1/rules/reload", headers=h)).status_code == 200
            r = await c.post("/api/v1/users", headers=h,
                             json={"name": "erin", "role": "analyst", "password": "Night-shift-pass-31"})
            assert r.status_code == 200
            assert (await c.post("/api/v1/auth/logout", headers=h)).status_code == 200
        async with env.client() as c:  # a person at the login page, then their own password change
            r = await c.post("/login", data={"username": "erin", "password": "Night-shift-pass-31"},
                             follow_redirects=False)
            assert r.status_code == 303 and r.headers["location"] == "/account/password"
            r = await c.post("/api/v1/auth/password", headers={"X-CSRF-Token": c.cookies["iw_csrf"]},
                             json={"current_password": "Night-shift-pass-31", "new_password": "Day-shift-pass-32"})
            assert r.status_code == 200
        async with env.client("10.6.6.6") as c:  # someone guessing until locked out, then once more
            guesses = [{"username": "mallory", "password": f"guess-{i}"} for i in range(6)]
            codes = [(await c.post("/api/v1/auth/login", json=guess)).status_code for guess in guesses]
            assert codes == [401, 401, 401, 401, 429, 429]

    before = env.access.audit.seq
    run(go())
    new = env.audit_since(before)
    token_id = next(e["target"] for e in new if e["action"] == "token.create")
    assert tally(new) == {
        "auth.login:failure:admin": 1, "auth.login:success:admin": 1, "search:success:": 1, "user.add:success:dan": 1,
        "user.role:success:dan": 1, "user.disable:success:dan": 1, "user.passwd:success:dan": 1,
        f"token.create:success:{token_id}": 1, f"token.revoke:success:{token_id}": 1, "audit.read:success:": 1,
        f"rule.disable:success:{RULE_ID}": 1, f"rule.enable:success:{RULE_ID}": 1, f"rule.level:success:{RULE_ID}": 1,
        "rules.reload:success:": 1, "user.add:success:erin": 1, "auth.logout:success:admin": 1,
        "auth.login:success:erin": 1, "user.passwd:success:erin": 1,
        "auth.login:failure:mallory": 5, "auth.lockout:success:mallory": 1, "auth.login:refused:mallory": 1}
    by_action = {e["action"]: e for e in new}
    search = by_action["search"]
    assert search["actor"] == "admin" and search["source"] == CLIENT and search["details"]["query"] == "host.name:hmi*"
    assert by_action["rule.level"]["details"]["level_override"] == [None, "high"]
    assert by_action["rule.disable"]["actor"] == "admin" and by_action["auth.lockout"]["source"] == "10.6.6.6"
    own = [e for e in new if e["action"] == "user.passwd" and e["target"] == "erin"][0]
    assert own["actor"] == "erin" and own["details"] is None  # a change of one's own, not a reset
    assert verify_trail(env.store.con, env.access.signer.public_pem())["verified"]


def test_a_rule_change_and_its_audit_entry_commit_together(env: Env, monkeypatch: pytest.MonkeyPatch) -> None:
    env.add_rule()
    rules = env.service.rules
    rule = rules.lookup(RULE_ID)
    pem = env.access.signer.public_pem()
    seq = env.access.audit.seq

    def disk_full(*_: Any) -> None:
        raise OSError(28, "No space left on device")

    # the audit entry cannot be written: the change does not happen either
    monkeypatch.setattr(env.access.audit, "_export", disk_full)
    with pytest.raises(OSError):
        rules.set_state("admin", "test", rule, enabled=False)
    assert rules.states() == {} and env.access.audit.seq == seq
    monkeypatch.undo()
    rules.set_state("admin", "test", rule, enabled=False)
    assert rules.states()[RULE_ID]["enabled"] is False
    [entry] = env.audit_since(seq)
    assert entry["action"] == "rule.disable" and entry["target"] == RULE_ID and entry["seq"] == seq + 1
    assert verify_trail(env.store.con, pem)["verified"]
    # the change cannot be stored (a table that refuses every row): no entry claims it happened
    env.store.con.execute("DROP TABLE rule_state")
    env.store.con.execute("CREATE TABLE rule_state (rule_id VARCHAR PRIMARY KEY CHECK (false), enabled BOOLEAN, "
                          "level_override VARCHAR, path VARCHAR, changed_by VARCHAR, changed_at TIMESTAMPTZ)")
    with pytest.raises(StoreError, match="cannot change rule state"):
        rules.set_state("admin", "test", rule, enabled=True)
    assert env.access.audit.seq == seq + 1 and len(env.audit_since(seq)) == 1
    assert verify_trail(env.store.con, pem)["verified"]


def test_audit_trail_detects_tampering(env: Env) -> None:
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


def _config_changes(access: AccessService) -> list[dict[str, Any]]:
    return [e for e in access.audit.list(1000) if e["action"] == "config.change"]


def test_config_change_is_recorded_at_start_with_old_and_new_values(tmp_path: Path) -> None:
    def start(settings: Settings) -> tuple[EventStore, AccessService, list[dict[str, Any]]]:
        store = EventStore(tmp_path, settings.store)
        access = AccessService(store.con, tmp_path, settings)
        return store, access, access.record_config(settings)

    s = Settings()
    s.data_dir = str(tmp_path)
    store, access, changed = start(s)
    assert changed == [] and _config_changes(access) == []  # the first start has nothing to compare with
    store.close()
    s.auth.session_idle, s.http.listen = "10m", "127.0.0.1:9443"
    s.detection.rules = ["/srv/rules/sigma"]
    store, access, changed = start(s)
    [entry] = _config_changes(access)
    assert entry["actor"] == local_actor() and entry["source"] == "serve" and entry["outcome"] == "success"
    assert entry["details"]["changed"] == changed == [
        {"setting": "auth.session_idle", "old": "30m", "new": "10m"},
        {"setting": "detection.rules", "old": [], "new": ["/srv/rules/sigma"]},
        {"setting": "http.listen", "old": "127.0.0.1:8080", "new": "127.0.0.1:9443"}]
    store.close()
    store, access, changed = start(s)  # the same settings again: nothing to record
    assert changed == [] and len(_config_changes(access)) == 1
    assert verify_trail(store.con, access.signer.public_pem())["verified"]
    recorded = store.con.execute("SELECT settings, recorded_by FROM effective_settings").fetchall()
    assert len(recorded) == 1 and '"auth.session_idle":"10m"' in recorded[0][0] and recorded[0][1] == local_actor()
    store.close()


@dataclass
class _Ldap:
    url: str = "ldaps://dc01"
    bind_password: str = ""


@dataclass
class _WithSecrets:
    ldap: _Ldap = field(default_factory=_Ldap)
    rate_per_token: float = 100.0


def test_config_change_never_holds_a_secret(env: Env) -> None:
    signer = env.access.signer
    s = _WithSecrets()
    s.ldap.bind_password = "Bind-secret-one-1"
    old = effective_settings(s, signer)
    assert "Bind-secret-one-1" not in repr(old) and old == effective_settings(s, signer)  # stable fingerprint
    s.ldap.bind_password, s.rate_per_token = "Bind-secret-two-2", 50.0
    new = effective_settings(s, signer)
    # a secret's change is seen and shown redacted; numbers whose names mention tokens are not secrets
    assert changes(old, new) == [{"setting": "ldap.bind_password", "old": "[redacted]", "new": "[redacted]"},
                                 {"setting": "rate_per_token", "old": 100.0, "new": 50.0}]
    assert changes(new, new) == []
