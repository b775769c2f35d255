"""The CLI without a running server: import (gzip, directories), search, status, dead letters, WAL."""

from __future__ import annotations

import gzip
from pathlib import Path

import orjson
import pytest

from ironwatch.cli.main import main


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
    import duckdb

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
