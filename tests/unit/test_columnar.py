"""The columnar fast path must give exactly the rows the reference parsers give.

Every message is run through ``Normalizer.process_batch`` (fast path first) and through
``Normalizer.process`` + ``events_to_arrow`` (reference parsers only); the Arrow tables
must be equal row for row. Inputs: generated near-miss variants of both syslog shapes,
the golden fixtures, and random bytes.
"""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from ironwatch.config import Settings, SourceZone
from ironwatch.intake.wal import RecordColumns, WalRecord
from ironwatch.pipeline.normalize import Normalizer, dead_to_arrow, events_to_arrow

GOLDEN = Path(__file__).resolve().parents[1] / "golden"
RECEIVED = 1_798_761_600_000_000 + 300_000_000  # 2027-01-01T00:05:00Z: year inference at its edge


def records(lines: list[bytes], listener: str = "syslog-tcp", received: int = RECEIVED) -> list[WalRecord]:
    return [WalRecord(1000 + 97 * i, i.to_bytes(16, "big"), received + i, bytes(32), listener, "", "10.1.2.3:514", ln)
            for i, ln in enumerate(lines)]


def assert_same(norm: Normalizer, recs: list[WalRecord]) -> None:
    fast, fast_dead = norm.process_batch(RecordColumns.from_records(recs))
    events, dead = norm.process(recs)
    ref = events_to_arrow(events)
    a, b = fast.sort_by("wal_offset"), ref.sort_by("wal_offset")
    if not a.equals(b):
        for col in a.column_names:
            for i, (x, y) in enumerate(zip(a[col].to_pylist(), b[col].to_pylist())):
                assert x == y, f"{col} differs for {recs[0].original if len(recs) == 1 else i!r}: fast {x!r} != ref {y!r}"
        raise AssertionError("tables differ")
    assert fast_dead.sort_by("wal_offset").equals(dead_to_arrow(dead).sort_by("wal_offset"))


NORM = Normalizer(Settings())

_pri = st.one_of(st.integers(0, 191).map(str), st.sampled_from(["192", "999", "013", "", "1x"]))
_ts5424 = st.sampled_from(["2026-11-27T10:00:00Z", "2026-11-27T10:00:00.5+01:00", "2026-02-30T10:00:00Z",
                           "2026-11-27T24:00:00Z", "2026-11-27T10:00:00.1234567Z", "-", "2026-11-27 10:00:00Z",
                           "2026-12-31T23:59:59.999999-14:00", "2024-02-29T00:00:00Z", "2026-11-27t10:00:00z"])
_word = st.sampled_from(["-", "plc-gw-01", "hist01.plant.local", "x" * 49, "a\tb", "bad]name", "été", "ok", "123",
                         "1" * 19, "00042"])
_msg = st.sampled_from(["", " ", "polled 48 registers", "\ufeffBOM first", "- lead dash", "tab\there",
                        "[sd-like] text", "trailing\r", "unicode ✓ ok", "x" * 300, "line1\nline2", " lead space"])
_sd = st.sampled_from(["-", "-x", '[meta seq="1"]', "[a b]", "", '[x a="q\\"uote" b="c\\]d" c="\\\\"]',
                       '[x a="1" a="2"]', '[x a="1"][x b="2"]', '[x@1 a="1"][y]', '[x a="1"]glued', '[x a="\u00e9\u2713"]',
                       '[x a="1"', '[=bad a="1"]', '[origin ip="10.0.0.1"][meta sequenceId="7"]'])


@settings(max_examples=400, deadline=None)
@given(_pri, _ts5424, _word, _word, _word, _word, _sd, _msg)
def test_rfc5424_variants(pri: str, ts: str, host: str, app: str, procid: str, msgid: str, sd: str, msg: str) -> None:
    line = f"<{pri}>1 {ts} {host} {app} {procid} {msgid} {sd}" + (f" {msg}" if msg else "")
    assert_same(NORM, records([line.encode()]))


_mon = st.sampled_from(["Jan", "Feb", "Dec", "Nov", "JAN", "Foo"])
_day = st.sampled_from(["1", " 1", "01", "29", "31", "0", "32", "9"])
_clock = st.sampled_from(["00:00:00", "23:59:59", "24:00:00", "10:61:00", "12:00:00"])
_host = st.sampled_from(["hist01", "10.20.1.5", "host:x", "h[1]", "", "plc-gw"])
_tag = st.sampled_from(["sshd[123]:", "sshd:", "CRON[1]:", "su(pam_unix)[9]:", "kernel:", "a b[1]:", "tag[]:",
                        "x" * 129 + ":", "sshd[" + "9" * 19 + "]:", "%ASA-6-106100:", "noColon"])


@settings(max_examples=400, deadline=None)
@given(_pri, _mon, _day, _clock, _host, _tag, _msg, st.booleans())
def test_rfc3164_variants(pri: str, mon: str, day: str, clock: str, host: str, tag: str, msg: str, with_pri: bool) -> None:
    head = f"<{pri}>" if with_pri else ""
    line = f"{head}{mon} {day} {clock} {host} {tag} {msg}".replace("  ", " ", 1 if day.startswith(" ") else 0)
    assert_same(NORM, records([line.encode()]))


@settings(max_examples=200, deadline=None)
@given(st.lists(st.binary(max_size=80), min_size=1, max_size=20))
def test_random_bytes(lines: list[bytes]) -> None:
    assert_same(NORM, records(lines))


def test_golden_inputs_and_receipt_times() -> None:
    lines = [p.read_bytes() for pattern in ("rfc*/*.input", "cef/*.input", "leef/*.input")
             for p in sorted(GOLDEN.glob(pattern))]
    for received in (RECEIVED, 1_795_773_600_000_000, 1_704_067_200_000_000):
        assert_same(NORM, records(lines, received=received))
        assert_same(NORM, records(lines, listener="import:/var/log/x.log", received=received))


def test_zones_other_than_utc_take_the_reference_path() -> None:
    s = Settings()
    s.time.sources = [SourceZone(match="10.1.0.0/16", zone="Europe/Berlin"), SourceZone(match="hist01", zone="America/Chicago")]
    norm = Normalizer(s)
    lines = [b"<13>Dec 31 23:59:00 hist01 app: m", b"<13>Jan  1 00:10:00 other app: m", b"<13>1 2026-11-27T10:00:00Z h a - - - m"]
    assert_same(norm, records(lines))
    table, _ = norm.process_batch(RecordColumns.from_records(records(lines)))
    assert set(table.column("timezone").to_pylist()) >= {"Europe/Berlin", "America/Chicago"}


#: CEF and LEEF after syslog headers the fast path would otherwise take as plain syslog
CEF_LEEF_IN_SYSLOG = [
    b"<134>1 2026-11-27T10:00:00Z fw01 CEF 1 m - CEF:0|Acme|OT-FW|1.0|drop|Drop|7|src=10.20.3.17 dpt=502",
    b"<38>Nov 27 10:00:00 fw01 cef[1]: CEF:0|Acme|OT-FW|1.0|drop|Drop|High|suser=eng01",
    b"<14>Nov 27 10:00:00 hist01 leef[2]: LEEF:1.0|Acme|Hist|2|LOGIN|usrName=opr\tsev=3",
    b"<14>1 2026-11-27T10:00:00Z hist01 leef 2 m - LEEF:2.0|Acme|Hist|2|LOGIN|^|usrName=opr^sev=3",
    b"<38>Nov 27 10:00:00 fw01 cef[1]: CEF:0|Acme|too short",  # detected as CEF, dead letter
    b"<38>Nov 27 10:00:00 fw01 app[1]: mentions CEF:0 without a pipe",  # plain syslog
    b"<38>Nov 27 10:00:00 fw01 app[1]: a|b CEF:0|x|y|z|s|n|1|",  # a '|' before: plain syslog
]

#: firewall payloads after syslog headers: the registry's sniffers claim them, so the fast path
#: must leave them (and only them) to the reference path
FIREWALLS_IN_SYSLOG = [
    (b"<164>Nov 27 2026 10:04:11 fw-asa-ot01 : %ASA-4-106023: Deny tcp src outside:10.30.8.41/51544"
     b' dst ot-cell4:10.20.1.5/502 by access-group "OT_IN" [0x0, 0x0]'),
    (b"<166>1 2026-11-27T10:00:00Z fw-asa-ot01 - - - - %FTD-6-302013: Built inbound TCP connection 9"
     b" for dmz:10.40.2.11/49822 (10.40.2.11/49822) to cell4:10.20.1.7/44818 (10.20.1.7/44818)"),
    (b'<189>Nov 27 10:00:00 fw-ot-01 date=2026-11-27 time=10:00:00 devname="fw-ot-01" devid="FG100F"'
     b' tz="+0100" logid="0000000013" type="traffic" srcip=10.1.1.5 dstip=10.2.2.6 dstport=502 action="deny"'),
    (b"<14>Nov 27 10:00:00 pa-ot-01 1,2026/11/27 10:00:00,0123456789,TRAFFIC,end,2562,2026/11/27 09:59:58,"
     b"10.1.1.5,10.2.2.6,0.0.0.0,0.0.0.0,r1,,,modbus,vsys1,a,b,e1/1,e1/2,f,2026/11/27 10:00:00,1,1,51000,502"),
    b'<189>Nov 27 10:00:00 fw-ot-01 date=2026-11-27 time=10:00:00 tz="CET" logid="13"',  # dead letter
    b"<13>Nov 27 10:00:00 hmi07 hmi-audit: user=opr3 action=acknowledge",  # kv is never sniffed
]


def test_batch_mixing_fast_slow_and_dead() -> None:
    lines = [b"<134>1 2026-11-27T10:00:00Z h a 1 m - ok", b'<134>1 2026-11-27T10:00:00Z h a 1 m [x y="1"] sd',
             b"<38>Nov 27 10:00:00 h sshd[1]: ok", b'{"message": "json"}', b"\xff\xfe", b"garbage",
             *CEF_LEEF_IN_SYSLOG, *FIREWALLS_IN_SYSLOG]
    recs = records(lines)
    assert_same(NORM, recs)
    table, dead = NORM.process_batch(RecordColumns.from_records(recs))
    assert table.num_rows == 15 and dead.num_rows == 4
    assert isinstance(table, pa.Table)
    parsers = dict(zip(table.column("wal_offset").to_pylist(), table.column("parser").to_pylist()))
    assert [parsers.get(r.offset) for r in recs[6:]] == ["cef", "cef", "leef", "leef", None, "rfc3164", "rfc3164",
                                                         "asa", "asa", "fortigate", "panos", None, "rfc3164"]


def test_firewall_payloads_in_syslog_are_left_to_the_reference_path() -> None:
    from ironwatch.pipeline.normalize import LISTENER_FORMATS

    fast, slow = NORM.columnar.parse(RecordColumns.from_records(records(FIREWALLS_IN_SYSLOG)), LISTENER_FORMATS)
    assert slow == [0, 1, 2, 3, 4]
    assert fast is not None and fast.num_rows == 1


def test_leef_and_short_cef_in_syslog_are_left_to_the_reference_path() -> None:
    from ironwatch.pipeline.normalize import LISTENER_FORMATS

    fast, slow = NORM.columnar.parse(RecordColumns.from_records(records(CEF_LEEF_IN_SYSLOG)), LISTENER_FORMATS)
    assert slow == [2, 3, 4]  # plain CEF is the CEF fast path's (tests/unit/test_columnar_cef.py)
    assert fast is not None and fast.num_rows == 4
    assert sorted(fast.column("parser").to_pylist()) == ["cef", "cef", "rfc3164", "rfc3164"]


_payload = st.sampled_from(["CEF:0|a|b|1|s|n|5|k=v", "LEEF:1.0|a|b|1|e|k=v", "LEEF:2.0|a|b|1|e|^|k=v", "CEF:0 no pipe",
                            "CEF:|x", "LEEF:x|", "x CEF:0|a|b|1|s|n|5|", "cef:0|a|b|1|s|n|5|", "a|CEF:0|a|b|1|s|n|5|",
                            "%ASA-6-302013: Built", "%FTD-4-106023: Deny tcp", "%ASA-6-30201: x",
                            'date=2026-11-27 time=10:00:00 devname="fw"', 'devid=FG1 logid=13 x=1',
                            "1,2026/11/27 10:00:00,01,TRAFFIC,end,1,2026/11/27 10:00:00,1.1.1.1",
                            "1,2026/11/27 10:00:00,01,TRAFFIC", "user=opr action=ack"])
_head = st.sampled_from(["<134>1 2026-11-27T10:00:00Z h a 1 m - ", "<38>Nov 27 10:00:00 h sshd[1]: ", "<38>Nov 27 10:00:00 h ",
                         "<38>Nov 27 10:00:00 h sshd[1]:", "<13>", "", "<134>1 2026-11-27T10:00:00Z h a 1 m [x y=\"|\"] "])


@settings(max_examples=200, deadline=None)
@given(_head, _payload)
def test_payload_formats_after_syslog_headers(head: str, payload: str) -> None:
    assert_same(NORM, records([(head + payload).encode()]))


def test_the_fast_path_is_taken_for_plain_shapes() -> None:
    from ironwatch.pipeline.normalize import LISTENER_FORMATS

    lines = [b"<134>1 2026-11-27T10:00:00Z h a 1 m - ok", b"<38>Nov 27 10:00:00 h historian[1]: ok",
             b'<134>1 2026-11-27T10:00:00Z h a 1 m [x y="1"] sd', b'<134>1 2026-11-27T10:00:00Z h a 1 m [x y="1" bad',
             # programs whose messages carry more (sshd, sudo…) are enriched here too
             b"<38>Nov 27 10:00:00 h sshd[1]: Accepted publickey for op from 10.20.9.4 port 5 ssh2",
             b"<134>1 2026-11-27T10:00:00Z h sudo 1 - - op : COMMAND=/bin/true"]
    fast, slow = NORM.columnar.parse(RecordColumns.from_records(records(lines)), LISTENER_FORMATS)
    assert fast is not None and fast.num_rows == 5 and slow == [3]
    assert "ssh_login" in fast.column("action").to_pylist()


#: messages of the programs linux.ENRICHERS reads, as real hosts write them
_ENRICHED_LINES = [
    "sshd[8812]: Failed password for invalid user plcadmin from 10.20.9.4 port 51522 ssh2",
    "sshd[8812]: Accepted publickey for engops from 10.20.9.4 port 50022 ssh2: ED25519 SHA256:abc",
    "sshd[8812]: pam_unix(sshd:session): session opened for user root(uid=0) by (uid=0)",
    "sshd[8812]: Connection closed by authenticating user root 10.20.9.4 port 4242 [preauth]",
    "sshd[8812]: error: kex_exchange_identification: Connection closed by remote host",
    "sudo[91]: operator1 : TTY=pts/0 ; PWD=/home/operator1 ; USER=root ; COMMAND=/usr/bin/systemctl restart historian",
    "sudo[91]: pam_unix(sudo:auth): authentication failure; logname=op uid=1000 euid=0 tty=/dev/pts/0 ruser=op rhost=  user=op",
    "su[77]: (to root) operator1 on pts/1",
    "useradd[5]: new user: name=histsvc, UID=998, GID=998, home=/home/histsvc, shell=/bin/bash, from=/dev/pts/0",
    "CRON[12]: pam_unix(cron:session): session closed for user root",
    "CRON[12]: (root) CMD (run-parts /etc/cron.hourly)",
    "systemd-logind[300]: New session 42 of user operator1.",
    "audispd: node=hist01 type=USER_LOGIN msg=audit(1795773600.150:502): pid=77 uid=0 auid=1000 ses=3 "
    "msg='op=login acct=\"operator1\" exe=\"/usr/sbin/sshd\" hostname=? addr=10.20.9.4 terminal=ssh res=success'",
    "audit: type=1400 audit(1795773600.100:501): apparmor=\"DENIED\" operation=\"open\" profile=\"x\"",
    "sshd(pam_unix)[19939]: authentication failure; logname= uid=0 euid=0 tty=NODEVssh ruser= rhost=10.20.9.4  user=root",
    "passwd[4]: pam_unix(passwd:chauthtok): password changed for operator1",
]


@settings(max_examples=150, deadline=None)
@given(st.sampled_from(_ENRICHED_LINES), st.sampled_from(["hist01", "-", "10.20.1.5"]), st.booleans(),
       st.sampled_from(["", "syslog-tcp", "import:/var/log/auth.log"]))
def test_enriched_programs_fast_equals_reference(line: str, host: str, rfc5424: bool, listener: str) -> None:
    program, _, message = line.partition(": ")
    name, _, pid = program.rstrip("]").partition("[")
    if rfc5424:
        raw = f"<38>1 2026-11-27T10:15:30Z {host} {name} {pid or '-'} - - {message}"
    else:
        raw = f"<38>Nov 27 10:15:30 {'' if host == '-' else host + ' '}{line}"
    recs = records([raw.encode()], listener=listener or "syslog-tcp")
    assert_same(NORM, recs)
