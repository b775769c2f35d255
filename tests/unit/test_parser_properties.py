"""Every registered parser, fed anything, returns a flat event or raises ``ParseError``.

Random bytes, valid messages cut short, and valid messages with bytes flipped, inserted or
dropped are thrown at each parser in ``registry.PARSERS`` and at auto-detection. Also here:
the registry's own behaviour (lookup errors, per-message detection).
"""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ironwatch.errors import ConfigError, ParseError
from ironwatch.parsers.base import ParseContext, Parser
from ironwatch.parsers.registry import FLAVOURS, PARSERS, detect_syslog_format, get_parser, parse

CTX = ParseContext(received_us=1_795_780_800_000_000,
                   zone_for_host=lambda host: ZoneInfo("Europe/Berlin" if host else "UTC"))

VALID: list[bytes] = [
    b'<134>1 2026-11-27T09:14:03.512+01:00 plcgw-03 modbus-gw 2211 WRITE'
    b' [ot@32473 unit="17" fc="16" v="a\\"b\\]c"][origin ip="10.20.3.17"] \xef\xbb\xbfWrite',
    b"<14>1 - - - - - -",
    b"<38>Nov 27 10:15:30 jump01 sshd[8812]: Failed password for plcadmin",
    b"<166>Nov 26 2026 23:59:58.123: %ASA-6-106100: access-list OT_IN permitted",
    b"<30>2026-11-27T09:30:00.250+01:00 hist01 historian[4410]: backfill done",
    b"Jul  7 08:06:15 combo  -- root[2421]: ROOT LOGIN ON tty2",
    b"<13>PLC CPU entered STOP mode",
    b'{"@timestamp":"2026-11-27T10:00:00.5Z","host":{"name":"hist01"},"tags":["ot"]}',
    b'{"ts":1795773600.123456,"id.orig_h":"10.20.3.17","modbus":{"func":"WRITE"}}',
    b'{"time":"2026-11-27 09:00:00","message":"x"}',
    b"<134>1 2026-11-27T09:14:03Z fw-ot-01 - - - - CEF:0|Acme|OT-FW|2.1|drop\\|7|Blocked write|High|"
    b"src=10.20.3.17 dst=10.20.1.5 dpt=502 cs1Label=Zone cs1=Cell 4 msg=a\\=b c\\\\d rt=1795773600123",
    b"CEF:0|Acme|IDS|1|42|PLC stop|Very-High|suser=eng start=Nov 27 2026 09:14:02.900 UTC",
    b"<14>Nov 27 10:00:00 qradar LEEF:1.0|Acme|Hist|3|LOGIN|src=10.20.1.9\tusrName=opr\tsev=4",
    b"LEEF:2.0|Acme|Gw|1|W|x5E|src=10.1.1.1^devTime=27/11/2026 10:00^devTimeFormat=dd/MM/yyyy HH:mm",
    b"<164>Nov 27 2026 10:04:11 fw-asa-ot01 : %ASA-4-106023: Deny tcp src outside:10.30.8.41/51544"
    b' dst ot-cell4:10.20.1.5/502 by access-group "OT_IN" [0x0, 0x0]',
    b"%FTD-6-302014: Teardown TCP connection 77 for dmz:10.40.2.11/49822 to cell4:10.20.1.7/44818"
    b" duration 0:01:31 bytes 18342 TCP FINs",
    b'<189>Nov 27 10:00:00 fw-ot-01 date=2026-11-27 time=10:00:00 devname="fw-ot-01" devid="FG100F"'
    b' eventtime=1795770000123456789 tz="+0100" logid="0000000013" type="traffic" srcip=10.1.1.5'
    b' srcport=51000 dstip=10.2.2.6 dstport=502 proto=6 action="deny" policyid=12 service="Modbus"',
    b'date=2026-11-27 time=10:04:00 devname="plcgw-03" logid="0100032001" user="admin" status="success"',
    b"<14>Nov 27 10:00:00 pa-ot-01 1,2026/11/27 10:00:00,0123456789,TRAFFIC,end,2562,2026/11/27 09:59:58,"
    b"10.1.1.5,10.2.2.6,0.0.0.0,0.0.0.0,r1,,,modbus,vsys1,a,b,e1/1,e1/2,f,2026/11/27 10:00:00,1,1,"
    b"51000,502,0,0,0x0,tcp,allow,100,60,40,2,2026/11/27 09:59:00,58,any",
    b'1,2026/11/27 10:02:30,0123456789,THREAT,file,2562,2026/11/27 10:02:29,10.1.1.5,10.2.2.6,,,r,,,smb,'
    b'vsys1,a,b,e1/1,e1/2,f,2026/11/27 10:02:30,9,1,5,445,0,0,0x0,tcp,alert,"a,b.zip",ZIP(52060),any,low',
    b'src=10.30.8.41 dport=502 user=eng02 msg="FC16 write \\"40001\\""',
]
NAMES = sorted(PARSERS)
PROPERTY_SETTINGS = settings(max_examples=400, deadline=None, derandomize=True,
                             suppress_health_check=[HealthCheck.too_slow])


def check_outcome(parser: Parser, raw: bytes) -> None:
    try:
        event = parser.parse(raw, CTX)
    except ParseError as exc:
        assert exc.reason and exc.parser == parser.name
        return
    assert_event_shape(event)


def assert_event_shape(event: dict[str, Any]) -> None:
    assert isinstance(event["@timestamp"], int)
    for key, value in event.items():
        assert isinstance(key, str)
        assert not isinstance(value, dict) or key == "log.syslog.structured_data", key


#: bytes that mean something to one of the formats, tried more often than others
_SPECIAL = b' "[]\\<>:=-{}.0\x00\xff\xc3'


@st.composite
def mutated(draw: st.DrawFn) -> bytes:
    data = bytearray(draw(st.sampled_from(VALID)))
    for _ in range(draw(st.integers(1, 4))):
        at = draw(st.integers(0, len(data)))
        action = draw(st.sampled_from(("flip", "insert", "delete")))
        byte = draw(st.sampled_from(_SPECIAL) | st.integers(0, 255))
        if action == "insert":
            data.insert(at, byte)
        elif at < len(data):
            if action == "flip":
                data[at] = byte
            else:
                del data[at]
    return bytes(data)


@st.composite
def truncated(draw: st.DrawFn) -> bytes:
    data = draw(st.sampled_from(VALID))
    return data[:draw(st.integers(0, len(data)))]


@pytest.mark.parametrize("name", NAMES)
@PROPERTY_SETTINGS
@given(raw=st.binary(max_size=200))
def test_random_bytes(name: str, raw: bytes) -> None:
    check_outcome(PARSERS[name], raw)


@pytest.mark.parametrize("name", NAMES)
@PROPERTY_SETTINGS
@given(raw=truncated())
def test_truncated_messages(name: str, raw: bytes) -> None:
    check_outcome(PARSERS[name], raw)


@pytest.mark.parametrize("name", NAMES)
@PROPERTY_SETTINGS
@given(raw=mutated())
def test_mutated_messages(name: str, raw: bytes) -> None:
    check_outcome(PARSERS[name], raw)


@PROPERTY_SETTINGS
@given(raw=st.one_of(st.binary(max_size=200), truncated(), mutated()))
def test_auto_detection_agrees_with_parse(raw: bytes) -> None:
    detected = detect_syslog_format(raw)
    assert detected in PARSERS
    try:
        used, event = parse(raw, CTX)
    except ParseError:
        return
    # a JSON document may be read by a flavour of JSON (Suricata EVE, Winlogbeat, Zeek)
    assert used == detected or (detected == "json" and used in {f.name for f in FLAVOURS})
    assert_event_shape(event)


def test_every_valid_sample_parses_with_its_detected_format() -> None:
    for raw in VALID:
        fmt, event = parse(raw, CTX, "kv" if raw.startswith(b"src=") else "auto")
        assert event["@timestamp"] > 0, (fmt, raw)


@pytest.mark.parametrize(("raw", "fmt"), [
    (b"<13>1 2026-11-27T10:00:00Z h a - - - m", "rfc5424"),
    (b"<191>1 - - - - - -", "rfc5424"),
    (b"\xef\xbb\xbf  <13>1 - - - - - -", "rfc5424"),
    (b"<13>10 - - - - - -", "rfc3164"),
    (b"<13>Nov 27 10:00:00 h a: m", "rfc3164"),
    (b"<13>2026-11-27T10:00:00Z h a: m", "rfc3164"),
    (b"Nov 27 10:00:00 h a: m", "rfc3164"),
    (b'{"a":1}', "json"),
    (b' \n\t{"a":1}', "json"),
    (b'\xef\xbb\xbf{"a":1}', "json"),
    (b"", "rfc3164"),
    (b"CEF:0|a|b|1|s|n|5|", "cef"),
    (b"<13>CEF:0|a|b|1|s|n|5|", "cef"),
    (b"<134>1 2026-11-27T10:00:00Z h a - - - CEF:0|a|b|1|s|n|5|src=1.2.3.4", "cef"),
    (b"<13>Nov 27 10:00:00 h tag: CEF:1|a|b", "cef"),
    (b"<13>Nov 27 10:00:00 h tag: text CEF:0 without pipe", "rfc3164"),
    (b"<13>Nov 27 10:00:00 h tag|x CEF:0|a|", "rfc3164"),
    (b"<13>Nov 27 10:00:00 h tag:CEF:0|a|", "rfc3164"),
    (b"LEEF:1.0|a|b|1|e|", "leef"),
    (b"<14>Nov 27 10:00:00 h LEEF:2.0|a|b|1|e|^|k=v", "leef"),
    (b'{"m": "x CEF:0|a"}', "json"),
    (b"%ASA-6-302013: Built", "asa"),
    (b"<166>Nov 27 2026 10:00:00 fw : %FTD-6-302013: Built", "asa"),
    (b"<166>1 2026-11-27T10:00:00Z fw - - - - %ASA-4-106023: Deny", "asa"),
    (b"<166>Nov 27 2026 10:00:00 fw : %ASA-6-30201: short id", "rfc3164"),
    (b"<166>Nov 27 2026 10:00:00 fw : %ASA-6-302013 no colon", "rfc3164"),
    (b"<14>Nov 27 10:00:00 fw CEF:0|Cisco|ASA|9|106023|msg=%ASA-4-106023: x|5|", "cef"),
    (b"date=2026-11-27 time=10:00:00 devname=fw", "fortigate"),
    (b"<189>Nov 27 10:00:00 fw date=2026-11-27 time=10:00:00 x=1", "fortigate"),
    (b'<189>Nov 27 10:00:00 fw logid="0000000013" devid="FG100F" x=1', "fortigate"),
    (b'<189>Nov 27 10:00:00 fw devid=FG100F type=traffic logid=13', "fortigate"),
    (b'<189>Nov 27 10:00:00 fw devid="FG100F" type=traffic', "rfc3164"),
    (b"<13>Nov 27 10:00:00 h app: user=opr action=ack", "rfc3164"),
    (b"user=opr action=ack", "rfc3164"),
    (b"1,2026/11/27 10:00:00,0123,TRAFFIC,end,", "panos"),
    (b"<14>Nov 27 10:00:00 pa 1,2026/11/27 10:00:00,0123,CONFIG,0,", "panos"),
    (b"<14>1 2026-11-27T10:00:00Z pa - - - - 1,2026/11/27 10:00:00,0123,THREAT,url,", "panos"),
    (b"1,2026/11/27 10:00:00,0123,GLOBALPROTECT,x,", "rfc3164"),
    (b"1,2026-11-27 10:00:00,0123,TRAFFIC,end,", "rfc3164"),
])
def test_detection(raw: bytes, fmt: str) -> None:
    assert detect_syslog_format(raw) == fmt


def test_parse_skips_leading_bom_and_whitespace_for_any_format() -> None:
    assert parse(b'\xef\xbb\xbf {"a":1}', CTX, "json")[1]["a"] == 1
    assert parse(b" <14>1 - - - - - -", CTX, "syslog")[0] == "rfc5424"


def test_explicit_format_is_used_without_detection() -> None:
    with pytest.raises(ParseError) as info:
        parse(b"<13>Nov 27 10:00:00 h a: m", CTX, "rfc5424")
    assert info.value.parser == "rfc5424"


def test_unknown_format_names_the_known_ones() -> None:
    with pytest.raises(ConfigError, match="known: asa, auditd, auto, cef, fortigate, hec, json, kv, leef, panos, "
                                          "rfc3164, rfc5424, suricata, syslog, text, winjson, winxml, zeek"):
        get_parser("cef2")
    with pytest.raises(ConfigError):
        parse(b"x", CTX, "leef3")


def test_registry_names_match_parser_names() -> None:
    assert set(PARSERS) == {"rfc5424", "rfc3164", "json", "cef", "leef", "asa", "fortigate",
                            "panos", "kv", "winxml", "winjson", "zeek", "suricata", "auditd"}
    for name, parser in PARSERS.items():
        assert parser.name == name
        assert get_parser(name) is parser
