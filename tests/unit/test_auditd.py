"""auditd: record reading, hex decoding, ECS mapping, and grouping lines into events."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ironwatch.errors import ParseError
from ironwatch.event import Event
from ironwatch.parsers.auditd import (
    MAX_OPEN_EVENTS,
    AuditdParser,
    AuditGrouper,
    is_single_record,
    looks_like_auditd,
    parse_record,
)
from ironwatch.parsers.base import ParseContext
from ironwatch.parsers.registry import parse

CTX = ParseContext(received_us=1_795_780_800_000_000)
PARSER = AuditdParser()


def hexed(text: str) -> str:
    return text.encode().hex().upper()


ARGV = hexed("systemctl\0restart\0historian")
TITLE = hexed("plc gw\0--cell\0 4\0")
EXEC = "\n".join([
    ('type=SYSCALL msg=audit(1795774530.120:4711): arch=c000003e syscall=59 success=yes exit=0'
    ' a0=55d1 a1=55d2 a2=55d3 a3=0 items=2 ppid=2201 pid=2245 auid=1000 uid=0 gid=0 euid=0 suid=0'
    ' fsuid=0 egid=0 sgid=0 fsgid=0 tty=pts0 ses=4 comm="systemctl" exe="/usr/bin/systemctl"'
    ' key="plant-services"'),
    'type=EXECVE msg=audit(1795774530.120:4711): argc=3 a0="systemctl" a1="restart" a2="historian"',
    'type=CWD msg=audit(1795774530.120:4711): cwd="/home/operator1"',
    ('type=PATH msg=audit(1795774530.120:4711): item=0 name="/usr/bin/systemctl" inode=1311 dev=fd:00'
    ' mode=0100755 ouid=0 ogid=0 rdev=00:00 nametype=NORMAL'),
    ('type=PATH msg=audit(1795774530.120:4711): item=1 name="/lib64/ld-linux-x86-64.so.2" inode=77'
    ' dev=fd:00 mode=0100755 ouid=0 ogid=0 rdev=00:00 nametype=NORMAL'),
    f'type=PROCTITLE msg=audit(1795774530.120:4711): proctitle={ARGV}',
    'type=EOE msg=audit(1795774530.120:4711):',
])


def read(text: str) -> Event:
    return PARSER.parse(text.encode(), CTX)


def reason(raw: bytes) -> str:
    with pytest.raises(ParseError) as info:
        PARSER.parse(raw, CTX)
    assert info.value.parser == "auditd"
    return str(info.value.reason)


def test_execve_event_maps_process_user_file_and_category() -> None:
    event = read(EXEC)
    assert event["@timestamp"] == 1_795_774_530_120_000
    assert event["auditd.sequence"] == 4711 and event["auditd.message_type"] == "syscall"
    assert event["auditd.records"] == ["syscall", "execve", "cwd", "path", "path", "proctitle", "eoe"]
    assert event["auditd.data.syscall"] == "execve" and event["auditd.data.arch"] == "x86_64"
    assert (event["event.category"], event["event.type"], event["event.action"]) == (
        ["process"], ["start"], "executed")
    assert event["event.outcome"] == "success" and event["auditd.result"] == "success"
    assert event["process.pid"] == 2245 and event["process.ppid"] == 2201
    assert event["process.parent.pid"] == 2201
    assert event["process.executable"] == "/usr/bin/systemctl"
    assert event["process.name"] == "systemctl"
    assert event["process.args"] == ["systemctl", "restart", "historian"]
    assert event["process.command_line"] == "systemctl restart historian"
    assert event["process.title"] == "systemctl restart historian"
    assert event["process.working_directory"] == "/home/operator1"
    assert event["user.id"] == "0" and event["user.audit.id"] == "1000"
    assert event["file.path"] == "/usr/bin/systemctl" and event["file.mode"] == "0755"
    assert len(event["auditd.paths"]) == 2 and event["tags"] == ["plant-services"]
    assert "auditd.data.res" not in event and "auditd.data.success" not in event


def test_registry_parses_the_pinned_format() -> None:
    fmt, event = parse(EXEC.encode(), CTX, "auditd")
    assert fmt == "auditd" and event["auditd.sequence"] == 4711


def test_hex_encoded_values_are_decoded() -> None:
    event = read("\n".join([
        (f'type=SYSCALL msg=audit(1795774530.5:9): arch=c000003e syscall=2 success=no exit=-13'
        f' pid=7 auid=4294967295 uid=0 ses=4294967295 comm={hexed("plc gw")}'
        f' exe={hexed("/opt/plc gw/bin")} key={hexed("ot") + "01" + hexed("files")}'),
        f'type=CWD msg=audit(1795774530.5:9): cwd={hexed("/srv/a b")}',
        f'type=PATH msg=audit(1795774530.5:9): item=0 name={hexed("recipe 1.csv")} nametype=NORMAL',
        f'type=PROCTITLE msg=audit(1795774530.5:9): proctitle={TITLE}',
    ]))
    assert event["process.name"] == "plc gw" and event["process.executable"] == "/opt/plc gw/bin"
    assert event["process.working_directory"] == "/srv/a b"
    assert event["file.path"] == "/srv/a b/recipe 1.csv"  # relative names join the cwd
    assert event["process.args"] == ["plc gw", "--cell", " 4"]
    assert event["tags"] == ["ot", "files"]
    assert event["auditd.data.auid"] == "unset" and event["auditd.data.ses"] == "unset"
    assert "user.audit.id" not in event
    assert event["event.outcome"] == "failure" and event["auditd.result"] == "fail"
    assert event["auditd.data.errno"] == "EACCES" and event["auditd.data.syscall"] == "open"


def test_execve_arguments_hex_and_in_chunks() -> None:
    event = read(
        "type=EXECVE msg=audit(1795774530.5:10): argc=3 a0=\"sh\" a1=2D63"
        " a2_len=10 a2[0]=\"echo \" a2[1]=\"a;b\"")
    assert event["process.args"] == ["sh", "-c", "echo a;b"]


def test_node_prefix_sets_host_and_user_space_records() -> None:
    event = read("node=jump01 type=USER_LOGIN msg=audit(1795774530.120:812): pid=8812 uid=0"
                 " auid=4294967295 ses=4294967295 msg='op=login acct=\"operator1\""
                 " exe=\"/usr/sbin/sshd\" hostname=10.20.9.4 addr=10.20.9.4 terminal=ssh res=failed'")
    assert event["host.name"] == "jump01" and event["auditd.message_type"] == "user_login"
    assert event["user.name"] == "operator1" and event["source.ip"] == "10.20.9.4"
    assert event["event.outcome"] == "failure" and event["event.category"] == ["authentication"]
    assert event["auditd.data.terminal"] == "ssh" and event["auditd.data.op"] == "login"


def test_invalid_user_is_no_user_name() -> None:
    event = read(f"type=USER_LOGIN msg=audit(1795774530.1:1): pid=1 uid=0 auid=4294967295"
                 f" msg='op=login acct={hexed('(invalid user)')} exe=\"/usr/sbin/sshd\" res=failed'")
    assert event["auditd.data.acct"] == "(invalid user)" and event["user.id"] == "0"
    assert "user.name" not in event


def test_old_user_space_form_with_parenthesised_fields() -> None:
    event = read("type=USER_END msg=audit(1170021601.366:299): user pid=13015 uid=0 auid=0"
                 " msg='PAM: session close acct=root : exe=\"/usr/sbin/crond\" (hostname=?,"
                 " addr=?, terminal=cron res=success)'")
    assert event["auditd.data.terminal"] == "cron" and event["event.outcome"] == "success"
    assert "auditd.data.hostname" not in event and event["event.action"] == "ended-session"


def test_iam_records_name_the_target_account() -> None:
    event = read("type=ADD_USER msg=audit(1795774530.2:77): pid=3 uid=0 auid=1001 ses=2"
                 " msg='op=add-user acct=\"histsvc\" id=1002 exe=\"/usr/sbin/useradd\" res=success'")
    assert event["user.target.name"] == "histsvc" and event["user.target.id"] == "1002"
    assert event["user.id"] == "0" and event["user.audit.id"] == "1001"
    assert event["event.type"] == ["user", "creation"] and event["event.category"] == ["iam"]
    group = read("type=ADD_GROUP msg=audit(1795774530.2:78): pid=3 uid=0 auid=1001"
                 " msg='op=add-group acct=\"plantops\" id=1003 exe=\"/usr/sbin/groupadd\" res=success'")
    assert group["group.name"] == "plantops" and group["group.id"] == "1003"


def test_enriched_format_names_users() -> None:
    event = read('type=SYSCALL msg=audit(1795774530.3:5): arch=c000003e syscall=42 success=yes'
                 ' exit=0 pid=9 auid=1000 uid=1000 euid=0 gid=1000 comm="nc" exe="/usr/bin/nc"'
                 '\x1dARCH=x86_64 SYSCALL=connect AUID="operator1" UID="operator1" EUID="root"'
                 ' GID="operator1"\n'
                 'type=SOCKADDR msg=audit(1795774530.3:5): saddr=020001F60A140105000000000000000'
                 '0\x1dSADDR={ saddr_fam=inet laddr=10.20.1.5 lport=502 }')
    assert event["user.name"] == "operator1" and event["user.audit.name"] == "operator1"
    assert event["user.effective.name"] == "root" and event["group.name"] == "operator1"
    assert event["auditd.interpreted.syscall"] == "connect"
    assert event["destination.ip"] == "10.20.1.5" and event["destination.port"] == 502
    assert event["auditd.data.socket.family"] == "ipv4"
    assert event["event.action"] == "connected-to"


@pytest.mark.parametrize(("saddr", "expected"), [
    ("0A0001F6000000002001" + "0DB8" + "0" * 20 + "0001" + "00000000",
     {"family": "ipv6", "addr": "2001:db8::1", "port": "502"}),
    ("0100" + b"/run/plc.sock".hex() + "00" * 4, {"family": "unix", "path": "/run/plc.sock"}),
    ("1000" + "00" * 10, {"family": "netlink"}),
])
def test_socket_addresses(saddr: str, expected: dict[str, str]) -> None:
    event = read(f"type=SOCKADDR msg=audit(1795774530.3:6): saddr={saddr}")
    assert {k.removeprefix("auditd.data.socket."): v for k, v in event.items()
            if k.startswith("auditd.data.socket.")} == expected


def test_avc_and_anomaly_records() -> None:
    avc = read('type=AVC msg=audit(1795774530.4:8): avc:  denied  { write } for  pid=4 comm="hmi"'
               ' name="recipes" scontext=system_u:system_r:hmi_t:s0 tclass=dir permissive=0')
    assert avc["auditd.data.seresult"] == "denied" and avc["auditd.data.seperms"] == "write"
    anom = read("type=ANOM_PROMISCUOUS msg=audit(1795774530.4:9): dev=eth1 prom=256 old_prom=0"
                " auid=1000 uid=0 gid=0 ses=3")
    assert anom["event.kind"] == "alert" and "intrusion_detection" in anom["event.category"]


@pytest.mark.parametrize(("raw", "expected"), [
    (b"", "empty audit event"),
    (b"\n \n", "empty audit event"),
    (b"Nov 27 10:00:00 jump01 sshd[1]: hello", "not an audit record"),
    (b"type=SYSCALL msg=audit(1795774530.1:1): a=1\ntype=EOE msg=audit(1795774530.1:2):",
     "records of different events"),
    (b"type=SYSCALL msg=audit(999999999999.1:1): a=1", "after 9999"),
])
def test_refusals(raw: bytes, expected: str) -> None:
    assert expected in reason(raw)


def test_parse_record_keeps_the_stamp() -> None:
    record = parse_record("node=hist01 type=EOE msg=audit(1795774530.120:4711): ")
    assert (record.node, record.type, record.stamp, record.serial) == (
        "hist01", "EOE", "1795774530.120:4711", 4711)


# --- grouping ----------------------------------------------------------------------------

def rec(kind: str, serial: int, rest: str = "x=1", stamp: str = "1795774530.120") -> bytes:
    return f"type={kind} msg=audit({stamp}:{serial}): {rest}".encode()


def serials(events: list[bytes]) -> list[list[str]]:
    return [[line.split(b"msg=audit(")[1].split(b")")[0].decode() for line in event.split(b"\n")]
            for event in events]


def test_interleaved_events_complete_at_their_eoe() -> None:
    grouper = AuditGrouper()
    done = grouper.feed([rec("SYSCALL", 1), rec("SYSCALL", 2), rec("PATH", 1), rec("PROCTITLE", 2),
                         rec("EOE", 2), rec("PROCTITLE", 1)])
    assert done == [b"\n".join([rec("SYSCALL", 2), rec("PROCTITLE", 2), rec("EOE", 2)])]
    assert grouper.feed([rec("EOE", 1)]) == [
        b"\n".join([rec("SYSCALL", 1), rec("PATH", 1), rec("PROCTITLE", 1), rec("EOE", 1)])]
    assert grouper.flush() == []


def test_events_without_eoe_come_out_at_flush_in_order() -> None:
    grouper = AuditGrouper()
    assert grouper.feed([rec("SYSCALL", 5), rec("SYSCALL", 6), rec("CWD", 5)]) == []
    assert serials(grouper.flush()) == [["1795774530.120:5"] * 2, ["1795774530.120:6"]]
    assert grouper.flush() == []


def test_single_record_types_complete_at_once() -> None:
    assert is_single_record("USER_LOGIN") and is_single_record("SERVICE_START")
    assert is_single_record("USER_AUTH") and is_single_record("ANOM_LOGIN_FAILURES")
    assert is_single_record("UNKNOWN[1150]")
    assert not is_single_record("SYSCALL") and not is_single_record("LOGIN")
    assert not is_single_record("CONFIG_CHANGE") and not is_single_record("NEWTYPE")
    grouper = AuditGrouper()
    assert grouper.feed([rec("SYSCALL", 7), rec("USER_LOGIN", 8), rec("SERVICE_START", 9)]) == [
        rec("USER_LOGIN", 8), rec("SERVICE_START", 9)]


def test_garbage_lines_come_back_alone_and_blank_lines_are_skipped() -> None:
    grouper = AuditGrouper()
    done = grouper.feed([b"--- rotated ---", b"", b"  ", rec("SYSCALL", 3) + b"\r",
                         b"\xff\xfe binary", rec("EOE", 3)])
    assert done == [b"--- rotated ---", b"\xff\xfe binary",
                    rec("SYSCALL", 3) + b"\n" + rec("EOE", 3)]
    assert "not an audit record" in reason(done[0])


def test_a_full_window_pushes_the_oldest_event_out() -> None:
    grouper = AuditGrouper()
    done = grouper.feed([rec("SYSCALL", n) for n in range(MAX_OPEN_EVENTS + 2)])
    assert serials(done) == [["1795774530.120:0"], ["1795774530.120:1"]]


def test_late_records_still_join_their_open_event() -> None:
    grouper = AuditGrouper()
    later = "1795774599.000"  # other events, a minute on, arrive before the last record
    done = grouper.feed([rec("SYSCALL", 1), rec("SYSCALL", 2, stamp=later), rec("PATH", 1),
                         rec("EOE", 1)])
    assert done == [b"\n".join([rec("SYSCALL", 1), rec("PATH", 1), rec("EOE", 1)])]


def test_same_serial_on_other_nodes_or_times_are_other_events() -> None:
    grouper = AuditGrouper()
    grouper.feed([b"node=jump01 " + rec("SYSCALL", 1), b"node=hist01 " + rec("SYSCALL", 1),
                  rec("SYSCALL", 1, stamp="1795774531.000")])
    assert len(grouper.flush()) == 3


def test_looks_like_auditd() -> None:
    assert looks_like_auditd(b"\n" + rec("SYSCALL", 1) + b"\n" + rec("EOE", 1))
    assert looks_like_auditd(b"node=mes01 " + rec("USER_LOGIN", 1))
    assert not looks_like_auditd(b"Nov 27 10:00:00 jump01 sshd[1]: x\n" + rec("SYSCALL", 1))
    assert not looks_like_auditd(b"") and not looks_like_auditd(b'{"type":"SYSCALL"}')


# --- properties --------------------------------------------------------------------------

PROPERTY = settings(max_examples=300, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.too_slow])
SPECIAL = b" =\"'()\n:.0123456789ABCDEFtypemsgaudit\x1d\x00"


@st.composite
def mutated(draw: st.DrawFn) -> bytes:
    data = bytearray(EXEC.encode())
    for _ in range(draw(st.integers(1, 6))):
        at = draw(st.integers(0, len(data) - 1))
        byte = draw(st.sampled_from(SPECIAL) | st.integers(0, 255))
        if draw(st.booleans()):
            data[at] = byte
        else:
            data.insert(at, byte)
    return bytes(data)


@PROPERTY
@given(raw=st.one_of(st.binary(max_size=300), mutated(),
                     st.integers(0, len(EXEC)).map(lambda n: EXEC.encode()[:n])))
def test_parser_only_raises_parse_error(raw: bytes) -> None:
    try:
        event = PARSER.parse(raw, CTX)
    except ParseError as exc:
        assert exc.reason and exc.parser == "auditd"
        return
    assert isinstance(event["@timestamp"], int)
    assert all(not isinstance(value, dict) for value in event.values())


@PROPERTY
@given(lines=st.lists(st.one_of(
    st.builds(rec, st.sampled_from(["SYSCALL", "PATH", "EOE", "USER_AUTH", "CWD"]),
              st.integers(0, 80), st.just("a=1"),
              st.sampled_from(["1795774530.120", "1795774531.500", "1795774540.000"])),
    st.binary(max_size=30).filter(lambda b: b"\n" not in b)), max_size=120))
def test_grouper_loses_no_line(lines: list[bytes]) -> None:
    grouper = AuditGrouper()
    out = grouper.feed(lines[: len(lines) // 2])
    out += grouper.feed(lines[len(lines) // 2:]) + grouper.flush()
    kept = sorted(line.rstrip(b"\r\n") for line in lines if line.strip())
    assert sorted(line for event in out for line in event.split(b"\n")) == kept
