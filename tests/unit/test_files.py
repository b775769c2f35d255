"""Per-file format detection and framing for ``ironwatch import`` and ``ironwatch parse``.

The project's own small files of every kind (Zeek TSV under a header and without one,
Zeek JSON named by its log, auditd with interleaved serials, JSON arrays and pretty-printed
JSON, a Windows XML export, gzip, plain syslog lines), read with ``FileReader`` and
normalized with the server's code.
"""

from __future__ import annotations

import gzip
from pathlib import Path

import orjson
import pytest

from ironwatch.config import Settings
from ironwatch.intake.files import FileReader, Group, detect_kind, json_records, read_head
from ironwatch.cli.parse_command import parse_records

ZEEK_HEADER = (
    "#separator \\x09\n#set_separator\t,\n#empty_field\t(empty)\n#unset_field\t-\n#path\tmodbus\n"
    "#open\t2026-11-27-10-00-00\n#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tfunc\texception\n"
    "#types\ttime\tstring\taddr\tport\taddr\tport\tstring\tstring\n")
ZEEK_ROWS = ("1795773600.100000\tCk1\t10.20.1.5\t50211\t10.20.3.17\t502\tREAD_HOLDING_REGISTERS\t-\n"
             "1795773601.200000\tCk1\t10.20.1.5\t50211\t10.20.3.17\t502\tWRITE_SINGLE_REGISTER\t-\n")
AUDIT = (
    "type=SYSCALL msg=audit(1795773600.100:501): arch=c000003e syscall=59 success=yes exit=0 ppid=1 pid=4410 "
    "auid=1000 uid=0 comm=\"bash\" exe=\"/usr/bin/bash\" key=\"exec\"\n"
    "type=USER_LOGIN msg=audit(1795773600.150:502): pid=77 uid=0 auid=1000 ses=3 msg='op=login acct=\"operator1\" "
    "exe=\"/usr/sbin/sshd\" hostname=? addr=10.20.9.4 terminal=ssh res=success'\n"
    "type=EXECVE msg=audit(1795773600.100:501): argc=2 a0=\"bash\" a1=\"-c\"\n"
    "type=PROCTITLE msg=audit(1795773600.100:501): proctitle=62617368002D63\n"
    "type=EOE msg=audit(1795773600.100:501): \n")
WINXML = (
    '<?xml version="1.0" encoding="utf-8"?>\n<Events>\n'
    + "".join(
        f'<Event xmlns="http://schemas.microsoft.com/win/2004/08/events/event"><System>'
        f'<Provider Name="Microsoft-Windows-Security-Auditing" Guid="{{54849625-5478-4994-a5ba-3e3b0328c30d}}"/>'
        f'<EventID>4624</EventID><Version>2</Version><Level>0</Level><Task>12544</Task><Opcode>0</Opcode>'
        f'<Keywords>0x8020000000000000</Keywords><TimeCreated SystemTime="2026-11-27T10:00:0{i}.000000Z"/>'
        f'<EventRecordID>{1000 + i}</EventRecordID><Correlation/><Execution ProcessID="640" ThreadID="700"/>'
        f'<Channel>Security</Channel><Computer>DC01.plant.local</Computer><Security/></System><EventData>'
        f'<Data Name="TargetUserName">operator{i}</Data><Data Name="TargetDomainName">PLANT</Data>'
        f'<Data Name="LogonType">3</Data><Data Name="IpAddress">10.20.9.{i}</Data><Data Name="IpPort">5000{i}</Data>'
        f'</EventData></Event>\n' for i in range(3))
    + "</Events>\n")


def events(path: Path, fmt: str = "auto") -> tuple[str, list[dict]]:
    reader = FileReader(path, fmt)
    groups: list[Group] = [g for batch, _ in reader for g in batch if g.records]
    return reader.kind, [obj for _, obj in parse_records(Settings(), groups, str(path))]


def test_zeek_tsv_under_its_header_and_dead_letters_without(tmp_path: Path) -> None:
    good = tmp_path / "modbus.log"
    good.write_text(ZEEK_HEADER + ZEEK_ROWS + "#close\t2026-11-27-11-00-00\n")
    kind, out = events(good)
    assert kind == "zeek-tsv" and len(out) == 2
    assert [e["zeek.modbus.func"] for e in out] == ["READ_HOLDING_REGISTERS", "WRITE_SINGLE_REGISTER"]
    assert out[0]["event.original"] == ZEEK_ROWS.splitlines()[0]  # the line; the header is the file's
    headless = tmp_path / "modbus_no_header.log"
    headless.write_text(ZEEK_ROWS)
    kind, out = events(headless)
    assert kind == "zeek-tsv" and all("#fields" in e["dead_letter"] for e in out) and len(out) == 2


def test_zeek_json_named_by_its_file(tmp_path: Path) -> None:
    path = tmp_path / "modbus.log"
    path.write_text('{"ts":1795773600.1,"uid":"Ck1","id.orig_h":"10.20.1.5","id.orig_p":50211,'
                    '"id.resp_h":"10.20.3.17","id.resp_p":502,"func":"READ_COILS"}\n')
    kind, out = events(path)
    assert kind == "zeek-json" and out[0]["event.dataset"] == "zeek.modbus" and out[0]["ot.protocol"] == "modbus"


def test_auditd_records_grouped_by_serial(tmp_path: Path) -> None:
    path = tmp_path / "audit.log.gz"
    path.write_bytes(gzip.compress(AUDIT.encode()))
    assert read_head(path).startswith(b"type=SYSCALL")
    kind, out = events(path)
    assert kind == "auditd" and len(out) == 2
    by_seq = {e["auditd.sequence"]: e for e in out}
    assert set(by_seq) == {501, 502}
    assert by_seq[501]["event.original"].count("\n") == 3  # SYSCALL, EXECVE, PROCTITLE, EOE
    assert by_seq[501]["process.command_line"] == "bash -c"


def test_json_arrays_and_pretty_printed_objects(tmp_path: Path) -> None:
    docs = [{"timestamp": "2026-11-27T10:00:00.000000+0000", "event_type": "alert", "src_ip": "10.20.9.4",
             "src_port": 4444, "dest_ip": "10.20.3.17", "dest_port": 502, "proto": "TCP", "flow_id": 1,
             "alert": {"signature_id": 2000001, "signature": "ICS write", "severity": 1, "category": "x"}},
            {"message": "plain", "host": {"name": "mes01"}}]
    array = tmp_path / "eve.json"
    array.write_bytes(orjson.dumps(docs, option=orjson.OPT_INDENT_2))
    kind, out = events(array)
    assert kind == "json-stream" and [e["ironwatch.parser"] for e in out] == ["suricata", "json"]
    assert out[0]["rule.id"] == "2000001"
    pretty = tmp_path / "objects.json"
    pretty.write_bytes(b"\n".join(orjson.dumps(d, option=orjson.OPT_INDENT_2) for d in docs) + b"\n{broken\n")
    kind, out = events(pretty)
    assert kind == "json-stream" and len(out) == 3 and "dead_letter" in out[2]
    assert list(json_records(b'[1, {"a": 2}]')) == [b"1", b'{"a":2}']


def test_windows_xml_export(tmp_path: Path) -> None:
    path = tmp_path / "security.xml"
    path.write_text(WINXML)
    kind, out = events(path)
    assert kind == "winxml" and [e["winlog.record_id"] for e in out] == [1000, 1001, 1002]
    assert {e["winlog.event_id"] for e in out} == {"4624"} and out[2]["source.ip"] == "10.20.9.2"


def test_plain_lines_detected_per_record_and_pinned_formats(tmp_path: Path) -> None:
    path = tmp_path / "mixed.log"
    path.write_bytes(b"<134>1 2026-11-27T10:00:00Z plcgw-03 gw - - - poll\n"
                     b"CEF:0|Acme|OT-FW|2.1|100|Blocked write|7|src=10.20.3.17\n"
                     b'{"message": "m", "host": {"name": "hmi02"}}\n')
    kind, out = events(path)
    assert kind == "lines" and [e["ironwatch.parser"] for e in out] == ["rfc5424", "cef", "json"]
    kind, out = events(path, "cef")
    assert [("dead_letter" in e) for e in out] == [True, False, True]


@pytest.mark.parametrize("head,name,kind", [
    (b"ElfFile\x00rest", "x.bin", "evtx"),
    (b"#separator \\x09\n#fields\tts", "conn.log", "zeek-tsv"),
    (b"type=EOE msg=audit(1.0:1): \n", "a.log", "auditd"),
    (b'  [\n {"a": 1}', "x.json", "json-stream"),
    (b'{\n  "a": 1\n}', "x.json", "json-stream"),
    (b'{"a": 1}\n', "x.json", "lines"),
    (b'{"ts": 1.5, "uid": "C1"}\n', "dns.log", "zeek-json"),
    (b'<?xml version="1.0"?>\n<Events><Event>', "x.xml", "winxml"),
    (b"<13>Nov 27 10:00:00 h app: x\n", "syslog", "lines"),
])
def test_detect_kind(head: bytes, name: str, kind: str) -> None:
    assert detect_kind(Path(name), head) == kind


def test_ironwatchignore_keeps_an_import_to_the_logs(tmp_path: Path) -> None:
    from ironwatch.intake.files import IGNORE_FILE, iter_files

    for rel in ("plant/assets.csv", "plant/zones.yaml", "manifest.json", "zeek/conn.log", "zeek/notes.txt",
                "linux/hist01.syslog", "old/x.log"):
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text("x\n")
    assert len(list(iter_files([str(tmp_path)]))) == 7  # without the file: everything
    (tmp_path / IGNORE_FILE).write_text("# not logs\nplant/\nmanifest.json\n*.txt\n\nold/*\n")
    names = [p.relative_to(tmp_path).as_posix() for p in iter_files([str(tmp_path)])]
    assert names == ["linux/hist01.syslog", "zeek/conn.log"]
    # a file named on the command line is read whatever the ignore file says
    assert list(iter_files([str(tmp_path / "manifest.json")])) == [tmp_path / "manifest.json"]
