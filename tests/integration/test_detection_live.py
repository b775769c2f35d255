"""Sigma detection in a real ``ironwatch serve``: rules of our own in ``DATA/rules``, Sysmon
process creation as Winlogbeat JSON over the ingest API, sshd and a plain-syslog PLC line
over syslog TCP; detections stored once with their fields; a rule disabled through the CLI
stops matching; the audit trail records it; ``kill -9`` of the worker mid-stream loses and
duplicates no detection."""

from __future__ import annotations

import socket
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
import orjson
import psutil

from ironwatch.cli.client import call

from .helpers import rpc_status, wait_for, worker_pids
from .server import ServerProcess

WIN_ID = "7a1c2f4e-5b6d-4e8f-9a0b-c1d2e3f4a501"
SSH_ID = "7a1c2f4e-5b6d-4e8f-9a0b-c1d2e3f4a502"
PLC_ID = "7a1c2f4e-5b6d-4e8f-9a0b-c1d2e3f4a503"

RULES = {
    "win_eng_shell.yml": f"""
title: Engineering software starts a command shell (test rule)
id: {WIN_ID}
status: experimental
level: high
tags: [attack.execution, attack.t1059.003, attack.t0807]
logsource: {{product: windows, category: process_creation}}
detection:
  selection:
    Image|endswith: '\\cmd.exe'
    ParentImage|contains: '\\Siemens\\'
  filter:
    CommandLine|contains: 'benign-maintenance'
  condition: selection and not filter
""",
    "sshd_invalid_user.yml": f"""
title: sshd failed password for an invalid user (test rule)
id: {SSH_ID}
status: test
level: medium
tags: [attack.credential-access, attack.t1110.001]
logsource: {{product: linux, service: sshd}}
detection:
  keywords: ['Failed password for invalid user']
  condition: keywords
""",
    "plc_program_mode.yml": f"""
title: PLC switched to program mode (test rule)
id: {PLC_ID}
status: test
level: high
tags: [attack.t0858, attack.inhibit-response-function]
logsource: {{product: linux, service: syslog}}
detection:
  keywords: ['mode change to PROGRAM']
  condition: keywords
""",
}


def sysmon(tag: str, n: int, parent: str, cmd: str = "cmd.exe /c whoami") -> bytes:
    doc = {"@timestamp": "2026-03-01T10:00:00.000Z", "message": f"Process Create {tag} {n}",
           "winlog": {"channel": "Microsoft-Windows-Sysmon/Operational", "event_id": 1, "record_id": n,
                      "provider_name": "Microsoft-Windows-Sysmon", "computer_name": "ews01.plant.local",
                      "event_data": {"Image": "C:\\Windows\\System32\\cmd.exe", "CommandLine": f"{cmd} {tag}",
                                     "ParentImage": parent, "User": "PLANT\\eng1"}}}
    return orjson.dumps(doc)


SIEMENS = "C:\\Program Files\\Siemens\\TIA\\portal.exe"
EXPLORER = "C:\\Windows\\explorer.exe"


def ingest(s: ServerProcess, lines: list[bytes]) -> None:
    r = httpx.post(f"https://127.0.0.1:{s.http}/api/v1/ingest", content=b"\n".join(lines) + b"\n",
                   headers={"Authorization": f"Bearer {s.token}"}, verify=False, timeout=30)
    assert r.status_code == 200, r.text


def syslog_tcp(s: ServerProcess, lines: list[bytes]) -> None:
    with socket.create_connection(("127.0.0.1", s.tcp), timeout=10) as c:
        c.sendall(b"".join(line + b"\n" for line in lines))


def detections(s: ServerProcess, rule_id: str | None = None) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = call(s.data_dir, "detections", limit=100_000, rule_id=rule_id)
    return found


def drained(s: ServerProcess, n: int) -> dict[str, Any]:
    return wait_for(lambda: rpc_status(s), lambda st: st["wal_backlog_bytes"] == 0 and st["events_stored"] >= n,
                    60, 0.2, f"{n} events stored")


def test_detections_in_the_stream_rule_state_and_worker_crash(tmp_path: Path) -> None:
    data = tmp_path / "data"
    (data / "rules").mkdir(parents=True)
    for name, text in RULES.items():
        (data / "rules" / name).write_text(text)
    s = ServerProcess(data).start()
    try:
        tag = "dt" + uuid.uuid4().hex[:8]
        ingest(s, [sysmon(tag, 1, SIEMENS), sysmon(tag, 2, EXPLORER), sysmon(tag, 3, SIEMENS, "benign-maintenance")])
        syslog_tcp(s, [b"<38>Mar  1 10:00:01 hist01 sshd[42]: Failed password for invalid user admin from 10.9.9.9 port 2222 ssh2",
                       b"<38>Mar  1 10:00:02 hist01 sshd[42]: Failed password for root from 10.9.9.9 port 2222 ssh2",
                       b"<134>Mar  1 10:00:03 plc-gw-01 plcgw[7]: PLC 3 mode change to PROGRAM by 10.1.1.5",
                       b"<134>Mar  1 10:00:04 plc-gw-01 plcgw[7]: PLC 3 mode change to RUN by 10.1.1.5"])
        st = drained(s, 7)
        found = wait_for(lambda: detections(s), lambda d: len(d) >= 3, 30, what="3 detections")
        time.sleep(0.5)
        found = detections(s)
        assert sorted(d["rule_id"] for d in found) == sorted([WIN_ID, SSH_ID, PLC_ID])
        by_rule = {d["rule_id"]: d for d in found}
        win = by_rule[WIN_ID]
        assert win["level"] == "high" and win["host_name"] == "ews01.plant.local"
        assert win["attack_techniques"] == ["T1059.003"] and win["ics_techniques"] == ["T0807"]
        assert win["attack_tactics"] == ["execution"] and win["target"] == "sysmon/process_creation"
        assert win["matched_fields"]["Image"].endswith("cmd.exe") and win["event_ts"].startswith("2026-03-01T10:00:00")
        event = call(s.data_dir, "search", query=f'"{tag} 1"', from_us=0, to_us=None, limit=10)
        assert [e["event.id"] for e in event] == [win["event_id"]]
        assert by_rule[SSH_ID]["host_name"] == "hist01" and by_rule[PLC_ID]["ics_tactics"] == ["inhibit-response-function"]
        assert st["detections_stored"] == 3

        # rules list with counters; disable sshd through the CLI; it stops matching
        rows = [orjson.loads(line) for line in s.cli("rules", "list", "--output", "json").stdout.splitlines()]
        listed = {r["rule_id"]: r for r in rows}
        assert listed[SSH_ID]["enabled"] and listed[SSH_ID]["detections_stored"] == 1
        assert listed[WIN_ID]["evaluations"] >= 2 and listed[WIN_ID]["matches"] == 1
        out = s.cli("rules", "disable", SSH_ID, "--output", "json")
        assert orjson.loads(out.stdout)["enabled"] is False
        s.cli("rules", "level", PLC_ID, "critical")
        syslog_tcp(s, [b"<38>Mar  1 10:00:05 hist01 sshd[43]: Failed password for invalid user guest from 10.9.9.8 port 2223 ssh2",
                       b"<134>Mar  1 10:00:06 plc-gw-01 plcgw[7]: PLC 4 mode change to PROGRAM by 10.1.1.5"])
        plc = wait_for(lambda: detections(s, PLC_ID), lambda d: len(d) == 2, 30, what="second PLC detection")
        assert sorted(d["level"] for d in plc) == ["critical", "high"]
        drained(s, 9)
        assert len(detections(s, SSH_ID)) == 1
        s.cli("rules", "enable", SSH_ID)
        actions = [a["action"] for a in call(s.data_dir, "audit.list", limit=50)]
        assert {"rule.disable", "rule.level", "rule.enable"} <= set(actions)
        cli_rows = s.cli("detections", "--rule", PLC_ID, "--output", "json").stdout.splitlines()
        assert len(cli_rows) == 2

        # kill -9 the worker while Sysmon events stream in: every match stored exactly once
        before = len(detections(s, WIN_ID))
        stored_before = rpc_status(s)["events_stored"]
        batches, per = 30, 200
        sent = threading.Event()

        def stream() -> None:
            for b in range(batches):
                ingest(s, [sysmon(f"{tag}k{b}", i, SIEMENS if i % 2 else EXPLORER) for i in range(per)])
            sent.set()

        t = threading.Thread(target=stream)
        t.start()
        killed: list[int] = []
        for _ in range(2):
            time.sleep(0.8)
            old = wait_for(lambda: worker_pids(s), lambda p: len(p) == 1, 30, 0.05, "one worker")
            psutil.Process(old[0]).kill()
            killed.append(old[0])
            wait_for(lambda: worker_pids(s), lambda p: len(p) == 1 and p[0] not in killed, 30, 0.05,
                     "worker restarted")
        t.join(120)
        assert sent.is_set()
        st = drained(s, stored_before + batches * per)
        assert st["events_stored"] == stored_before + batches * per
        win_all = wait_for(lambda: detections(s, WIN_ID), lambda d: len(d) >= before + batches * per // 2, 30,
                           what="all Windows detections")
        assert len(win_all) == before + batches * per // 2
        assert len({d["event_id"] for d in win_all}) == len(win_all)
        assert st["detection"]["evaluations"] > 0
    finally:
        s.stop()
