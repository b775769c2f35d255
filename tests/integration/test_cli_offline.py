"""The CLI without a running server: import (gzip, directories), search, status, dead letters, WAL,
users, tokens and the audit trail (the same audit entries as through the server's socket)."""

from __future__ import annotations

import gzip
import io
from pathlib import Path
from typing import Any

import duckdb
import orjson
import pytest

from ironwatch.cli.main import main
from ironwatch.core.access import local_actor


def run(capsys: pytest.CaptureFixture[str], *args: str) -> list[dict]:
    assert main(list(args)) == 0
    out = capsys.readouterr().out
    return [orjson.loads(line) for line in out.splitlines() if line.startswith("{")]


def test_offline_import_search_status_and_replay(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = str(tmp_path / "data")
    logs = tmp_path / "logs"
    logs.mkdir()
    (logs / "a.log").write_bytes(b"<134>1 2026-11-27T10:00:00Z plc-gw-01 modbusd 7 POLL - read ok\n"
                                 b"<38>Nov 27 10:00:01 hist01 sshd[42]: Accepted publickey for svc\n"
                                 b"\xde\xad\xbe\xef garbage\n")
    with gzip.open(logs / "b.log.gz", "wb") as f:
        f.write(b'{"message": "from gzip", "host": {"name": "hmi-02"}}\n')
    [result] = run(capsys, "import", "--data-dir", data, "--no-progress", "--output", "json", str(logs))
    assert result["records"] == 4 and result["stored"] == 3 and result["dead_letters"] == 1
    events = run(capsys, "search", "--data-dir", data, "--from", "0", "--output", "json")
    assert {e["host.name"] for e in events} == {"plc-gw-01", "hist01", "hmi-02"}
    assert {e["log.file.path"].rsplit("/", 1)[1] for e in events} == {"a.log", "b.log.gz"}
    assert all(e["ironwatch.listener"] == "import" for e in events)
    [status] = run(capsys, "status", "--data-dir", data, "--output", "json")
    assert status["server"] == "stopped" and status["events_stored"] == 3 and status["dead_letters"] == 1
    [dl] = run(capsys, "deadletter", "list", "--data-dir", data, "--output", "json")
    assert "garbage" in dl["original"] and dl["reason"]
    [replay] = run(capsys, "deadletter", "replay", "--data-dir", data, "--output", "json")
    assert replay == {"examined": 1, "replayed": 0, "still_failing": 1}
    [wal] = run(capsys, "wal", "verify", "--data-dir", data, "--output", "json")
    assert wal["verified"] and wal["batches"] == 1  # small files are written together, in one batch


def test_search_table_and_csv_output(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = str(tmp_path / "data")
    log = tmp_path / "x.log"
    log.write_bytes(b"<134>1 2026-11-27T10:00:00Z plc-gw-01 modbusd 7 POLL - <script>alert(1)</script> [red]x[/red]\n")
    run(capsys, "import", "--data-dir", data, "--no-progress", str(log))
    assert main(["search", "--data-dir", data, "--from", "0", "--output", "csv"]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0] == "@timestamp,host.name,event.dataset,log.source.address,message"
    assert main(["search", "--data-dir", data, "--from", "0"]) == 0
    assert "[red]x[/red]" in capsys.readouterr().out  # log content is never interpreted as markup


def test_unknown_format_and_missing_store_are_clear_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["import", "--data-dir", str(tmp_path), "--input-format", "nope", str(tmp_path)]) == 2
    assert "unknown input format 'nope'" in capsys.readouterr().err
    assert main(["search", "--data-dir", str(tmp_path / "none")]) == 2
    assert "no Ironwatch store" in capsys.readouterr().err


def test_audit_verify_names_an_edited_entry_and_catches_truncation(tmp_path: Path,
                                                                     capsys: pytest.CaptureFixture[str]) -> None:
    data = str(tmp_path / "data")
    log = tmp_path / "x.log"
    log.write_bytes(b"<134>1 2026-11-27T10:00:00Z plc-gw-01 modbusd 7 POLL - ok\n")
    run(capsys, "import", "--data-dir", data, "--no-progress", str(log))
    for name in ("dora", "erik", "finn"):
        run(capsys, "user", "add", name, "--role", "viewer", "--data-dir", data, "--output", "json")
    head = orjson.loads((tmp_path / "data" / "audit-head.json").read_bytes())["head"]
    run(capsys, "token", "create", "--name", "t", "--role", "ingest", "--data-dir", data, "--output", "json")
    [ok] = run(capsys, "audit", "verify", "--data-dir", data, "--output", "json", "--expect-head", head)
    assert ok["verified"] is True
    con = duckdb.connect(str(tmp_path / "data" / "ironwatch.duckdb"))
    con.execute("UPDATE audit_log SET target = 'mallory' WHERE seq = 2")
    con.close()
    assert main(["audit", "verify", "--data-dir", data]) == 2
    assert "audit entry 2 (user.add by local:" in capsys.readouterr().err
    con = duckdb.connect(str(tmp_path / "data" / "ironwatch.duckdb"))
    con.execute("UPDATE audit_log SET target = 'erik' WHERE seq = 2")
    con.close()
    assert main(["audit", "verify", "--data-dir", data]) == 0
    capsys.readouterr()
    con = duckdb.connect(str(tmp_path / "data" / "ironwatch.duckdb"))
    con.execute("DELETE FROM audit_log WHERE seq = 3")  # an entry in the middle
    con.close()
    assert main(["audit", "verify", "--data-dir", data]) == 2
    assert "audit entry 3 is missing (next is 4): entries were deleted" in capsys.readouterr().err
    con = duckdb.connect(str(tmp_path / "data" / "ironwatch.duckdb"))
    con.execute("DELETE FROM audit_log WHERE seq >= 3")  # truncate the newest entries...
    from ironwatch.store.integrity import Signer
    [(seq, link)] = con.execute("SELECT seq, link FROM audit_log ORDER BY seq DESC LIMIT 1").fetchall()
    sig = Signer.load_or_create(tmp_path / "data" / "keys").sign(f"{seq}:{link}".encode()).hex()
    con.execute("UPDATE audit_head SET seq = ?, link = ?, signature = ?", [seq, link, sig])  # ...and forge the head
    con.close()
    assert main(["audit", "verify", "--data-dir", data]) == 0  # consistent in itself
    capsys.readouterr()
    assert main(["audit", "verify", "--data-dir", data, "--expect-head", head]) == 2
    assert "is not in the audit trail" in capsys.readouterr().err


def audit_since(capsys: pytest.CaptureFixture[str], data: str, seq: int) -> list[dict[str, Any]]:
    """Audit entries after ``seq``, oldest first, without the reads of the trail itself."""
    entries = run(capsys, "audit", "list", "--data-dir", data, "--output", "json", "--limit", "10000")
    return sorted((e for e in entries if e["seq"] > seq and e["action"] != "audit.read"), key=lambda e: e["seq"])


def imported(tmp_path: Path, capsys: pytest.CaptureFixture[str], content: bytes) -> str:
    """A data dir holding ``content`` imported as a log file."""
    data = str(tmp_path / "data")
    log = tmp_path / "x.log"
    log.write_bytes(content)
    run(capsys, "import", "--data-dir", data, "--no-progress", str(log))
    return data


def last_seq(data: str) -> int:
    return int(orjson.loads((Path(data) / "audit-head.json").read_bytes())["seq"])


def test_offline_search_and_replay_are_audited(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    data = imported(tmp_path, capsys, b"<134>1 2026-11-27T10:00:00Z plc-gw-01 modbusd 7 POLL - ok\n\xde\xad garbage\n")
    run(capsys, "user", "add", "hanna", "--role", "viewer", "--data-dir", data)  # the trail has begun
    seq = last_seq(data)
    assert len(run(capsys, "search", "host.name:plc*", "--data-dir", data, "--from", "0", "--output", "json")) == 1
    [replay] = run(capsys, "deadletter", "replay", "--data-dir", data, "--output", "json")
    monkeypatch.setattr("ironwatch.store.hot.search_events", _failing_search)
    assert main(["search", "bad(query", "--data-dir", data]) == 2
    assert "cannot read the query" in capsys.readouterr().err
    monkeypatch.undo()
    new = audit_since(capsys, data, seq)
    assert [(e["action"], e["outcome"]) for e in new] == [("search", "success"), ("deadletter.replay", "success"),
                                                          ("search", "failure")]
    assert all(e["actor"] == local_actor() and e["source"] == "cli" for e in new)
    assert new[0]["details"]["query"] == "host.name:plc*" and new[0]["details"]["results"] == 1
    assert new[1]["details"] == replay == {"examined": 1, "replayed": 0, "still_failing": 1}
    assert new[2]["details"]["query"] == "bad(query" and "cannot read" in new[2]["details"]["error"]
    [ok] = run(capsys, "audit", "verify", "--data-dir", data, "--output", "json")
    assert ok["verified"] is True


def _failing_search(*_: Any) -> list[dict[str, Any]]:
    from ironwatch.query.simple import QueryError

    raise QueryError("cannot read the query at position 3")


def test_user_and_token_commands_offline(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    from ironwatch.auth.directory import UserDirectory
    from ironwatch.store.hot import EventStore

    data = imported(tmp_path, capsys, b"<134>1 2026-11-27T10:00:00Z plc-gw-01 modbusd 7 POLL - ok\n")
    [added] = run(capsys, "user", "add", "gus", "--role", "viewer", "--data-dir", data, "--output", "json")
    seq = last_seq(data)
    [listed] = run(capsys, "user", "list", "--data-dir", data, "--output", "json")
    assert listed["name"] == "gus" and listed["role"] == "viewer" and listed["must_change_password"] is True
    monkeypatch.setattr("sys.stdin", io.StringIO("Control-room-shift-7\n"))
    [chosen] = run(capsys, "user", "passwd", "gus", "--password-stdin", "--data-dir", data, "--output", "json")
    assert chosen == {"name": "gus", "must_change_password": True}
    store = EventStore(Path(data))
    assert UserDirectory(store.con).authenticate("gus", "Control-room-shift-7") is not None
    assert UserDirectory(store.con).authenticate("gus", added["one_time_password"]) is None
    store.close()
    [reset] = run(capsys, "user", "passwd", "gus", "--data-dir", data, "--output", "json")
    assert len(reset["one_time_password"]) >= 12
    assert run(capsys, "user", "role", "gus", "analyst", "--data-dir", data, "--output", "json") == [
        {"name": "gus", "role": "analyst"}]
    assert run(capsys, "user", "disable", "gus", "--data-dir", data, "--output", "json") == [
        {"name": "gus", "disabled": True}]
    [listed] = run(capsys, "user", "list", "--data-dir", data, "--output", "json")
    assert listed["role"] == "analyst" and listed["disabled"] is True
    assert run(capsys, "user", "disable", "gus", "--enable", "--data-dir", data, "--output", "json") == [
        {"name": "gus", "disabled": False}]
    [made] = run(capsys, "token", "create", "--name", "vector", "--role", "ingest", "--data-dir", data,
                 "--output", "json")
    [revoked] = run(capsys, "token", "revoke", made["id"], "--data-dir", data, "--output", "json")
    assert revoked == {"id": made["id"], "name": "vector", "role": "ingest"}
    [token] = run(capsys, "token", "list", "--data-dir", data, "--output", "json")
    assert token["state"] == "revoked" and made["token"] not in orjson.dumps(token).decode()
    assert main(["user", "role", "nobody", "viewer", "--data-dir", data]) == 2
    assert "no user 'nobody'" in capsys.readouterr().err
    assert main(["token", "revoke", "no-such-id", "--data-dir", data]) == 2
    assert "no token 'no-such-id'" in capsys.readouterr().err
    new = audit_since(capsys, data, seq)
    assert [(e["action"], e["target"]) for e in new] == [
        ("user.passwd", "gus"), ("user.passwd", "gus"), ("user.role", "gus"), ("user.disable", "gus"),
        ("user.enable", "gus"), ("token.create", made["id"]), ("token.revoke", made["id"])]
    assert all(e["actor"] == local_actor() and e["source"] == "cli" for e in new)
    trail = orjson.dumps(new).decode()
    for secret in ("Control-room-shift-7", reset["one_time_password"], made["token"]):
        assert secret not in trail


def test_parse_prints_events_and_dead_letters_in_input_order(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    log = tmp_path / "new-source.log"
    log.write_bytes(b"<134>1 2026-11-27T10:00:00Z plc-gw-01 modbusd 7 POLL - read ok\n"
                    b"\xff\xfe not syslog\n"
                    b"<38>Nov 27 10:00:01 hist01 sshd[42]: Failed password for root\n")
    assert main(["parse", "--data-dir", str(tmp_path / "none"), str(log)]) == 1  # a dead letter: exit 1
    rows = [orjson.loads(x) for x in capsys.readouterr().out.splitlines()]
    assert [r.get("host.name") for r in rows] == ["plc-gw-01", None, "hist01"]
    assert rows[1]["dead_letter"].startswith("rfc3164") and "not syslog" in rows[1]["raw"]
    assert rows[0]["event.hash"] and rows[0]["log.file.path"] == str(log)
    assert not (tmp_path / "none").exists()  # parse stores nothing
    log.write_bytes(b'{"message": "ok"}\n')
    assert main(["parse", "--data-dir", str(tmp_path / "none"), "--input-format", "json", str(log)]) == 0


def test_offline_import_runs_the_sigma_rules_as_the_workers_do(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from .test_detection_live import PLC_ID, RULES, SSH_ID

    data = tmp_path / "data"
    (data / "rules").mkdir(parents=True)
    for name, text in RULES.items():
        (data / "rules" / name).write_text(text)
    imported(tmp_path, capsys, b"<13>Nov 27 09:00:00 hmi02 app[9]: store created\n")
    run(capsys, "rules", "disable", PLC_ID, "--data-dir", str(data), "--output", "json")
    # 45,000 lines: the first batch is normalized in this process, the rest by the helpers
    lines = []
    for i in range(45_000):
        if i % 1000 == 7:
            lines.append(f"<38>Nov 27 10:00:01 hist01 sshd[42]: Failed password for invalid user plc{i} from 10.9.9.9")
        elif i % 1000 == 9:
            lines.append(f"<13>Nov 27 10:00:02 plcgw-03 gw[7]: unit 4 mode change to PROGRAM ({i})")
        else:
            lines.append(f"<13>Nov 27 10:00:03 hmi02 app[9]: tag read {i} ok")
    log = tmp_path / "plant.log"
    log.write_text("\n".join(lines) + "\n")
    [result] = run(capsys, "import", "--data-dir", str(data), "--no-progress", "--output", "json", str(log))
    assert (result["stored"], result["detections"]) == (45_000, 45)  # the first import's line matched nothing
    found = run(capsys, "detections", "--data-dir", str(data), "--output", "json", "--limit", "1000")
    assert len(found) == 45 and {d["rule_id"] for d in found} == {SSH_ID}  # the disabled rule stayed quiet
    assert {d["host_name"] for d in found} == {"hist01"}
