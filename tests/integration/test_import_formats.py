"""``ironwatch import`` of every file kind, through a running server and without one.

The same directory (Zeek TSV, auditd, a JSON array of Suricata EVE, a Windows XML export,
gzip, many small syslog files, a text file that is not a log) is imported both ways; the
stored events must be the same. A large file takes the offline import's helper processes,
which send their tables back without the originals: every original must still be stored.
EVTX from the corpus goes through the server when the corpus is present.
"""

from __future__ import annotations

import gzip
from collections import Counter
from pathlib import Path
from typing import Any

import orjson

from tests.unit.test_files import AUDIT, WINXML, ZEEK_HEADER, ZEEK_ROWS

from .helpers import wait_for
from .server import ServerProcess


def plant_dir(root: Path) -> Path:
    logs = root / "logs"
    logs.mkdir()
    (logs / "modbus.log").write_text(ZEEK_HEADER + ZEEK_ROWS)
    (logs / "audit.log.gz").write_bytes(gzip.compress(AUDIT.encode()))
    (logs / "eve.json").write_bytes(orjson.dumps([{
        "timestamp": f"2026-11-27T10:00:0{i}.000000+0000", "event_type": "alert", "src_ip": "10.20.9.4",
        "src_port": 4444, "dest_ip": "10.20.3.17", "dest_port": 502, "proto": "TCP", "flow_id": i,
        "alert": {"signature_id": 2000001 + i, "signature": "ICS write", "severity": 1, "category": "x"}}
        for i in range(4)], option=orjson.OPT_INDENT_2))
    (logs / "security.xml").write_text(WINXML)
    for i in range(30):
        (logs / f"hmi{i:02d}.log").write_text(f"<134>1 2026-11-27T10:00:00Z hmi{i:02d} hmi - - - screen {i}\n")
    (logs / "README.txt").write_text("notes about these logs\n")
    return logs


def summary(events: list[dict[str, Any]]) -> Counter[str]:
    return Counter(e["ironwatch.parser"] for e in events)


EXPECTED = Counter({"rfc5424": 30, "suricata": 4, "winxml": 3, "zeek": 2, "auditd": 2})


def test_import_through_the_server_and_offline_store_the_same(tmp_path: Path) -> None:
    logs = plant_dir(tmp_path)
    offline = ServerProcess(tmp_path / "offline")
    offline.data_dir.mkdir()
    [result] = [orjson.loads(line) for line in offline.cli("import", "--no-progress", "--output", "json",
                                                            str(logs)).stdout.splitlines()]
    assert result["files"] == 35 and result["records"] == 42 and result["dead_letters"] == 1
    offline_events = offline.search()
    assert summary(offline_events) == EXPECTED

    s = ServerProcess(tmp_path / "live").start()
    try:
        [result] = [orjson.loads(line) for line in s.cli("import", "--no-progress", "--output", "json",
                                                          str(logs)).stdout.splitlines()]
        assert result["mode_server"] == 1 and result["records"] == 42
        events = wait_for(s.search, lambda evs: len(evs) >= 41, 30, what="41 imported events")
        assert summary(events) == EXPECTED
        key = lambda e: (e["log.file.path"].rsplit("/", 1)[1], e["event.original"])  # noqa: E731
        assert sorted(map(key, events)) == sorted(map(key, offline_events))
        dead = [orjson.loads(line) for line in s.cli("deadletter", "list", "--output", "json").stdout.splitlines()]
        assert [d["listener"].rsplit("/", 1)[1] for d in dead] == ["README.txt"]
        sources = {(src["host"], src["format"]) for src in
                   (orjson.loads(line) for line in s.cli("sources", "--output", "json").stdout.splitlines())}
        assert {("DC01.plant.local", "winxml"), ("hmi07", "rfc5424")} <= sources
    finally:
        s.stop()


def test_offline_helpers_keep_every_original(tmp_path: Path) -> None:
    big = tmp_path / "big.log"
    lines = [f"<38>Nov 27 10:{i // 60 % 60:02d}:{i % 60:02d} hist01 historian[{i}]: tag FIC-{i} written" for i in range(50_000)]
    big.write_text("\n".join(lines) + "\n")
    s = ServerProcess(tmp_path / "data")
    s.data_dir.mkdir()
    [result] = [orjson.loads(line) for line in s.cli("import", "--no-progress", "--output", "json", str(big)).stdout.splitlines()]
    assert result["stored"] == 50_000 and result["dead_letters"] == 0
    for n in (0, 20_000, 20_001, 49_999):  # the first batch is normalized in-process, the rest in helpers
        [event] = s.search(f"FIC-{n}")
        assert event["event.original"] == lines[n] and event["process.pid"] == n


def test_corpus_evtx_through_the_server(tmp_path: Path, corpus: Path) -> None:
    from ironwatch.parsers.windows import read_evtx

    folder = corpus / "hayabusa-sample-evtx" / "DeepBlueCLI"
    evtx = sorted(folder.glob("*.evtx"))
    readable = {f.name: sum(1 for xml, _ in read_evtx(f) if xml is not None) for f in evtx}
    s = ServerProcess(tmp_path / "data").start()
    try:
        [result] = [orjson.loads(line) for line in s.cli("import", "--no-progress", "--output", "json",
                                                          str(folder)).stdout.splitlines()]
        assert result["mode_server"] == 1 and result.get("corrupt_records", 0) == 0
        total = sum(readable.values())
        events = wait_for(lambda: s.search("ironwatch.parser:winxml", limit=1_000_000), lambda evs: len(evs) >= total,
                          60, what=f"{total} EVTX records stored")
        assert Counter(e["log.file.path"].rsplit("/", 1)[1] for e in events) == Counter(readable)
        # identity: the record's own EventRecordID, unique per file
        per_file = Counter((e["log.file.path"], e["winlog.record_id"]) for e in events)
        assert max(per_file.values()) == 1
    finally:
        s.stop()
